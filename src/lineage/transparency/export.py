"""``lineage tiles export DIR``: write the log as static c2sp.org/tlog-tiles files.

Incremental: the checkpoint already in DIR says which tiles exist, and only the tiles
the new tree adds are written (each to a temporary name, then renamed), the checkpoint
last. A DIR whose checkpoint is not one of this log's (another log, another history, or
a larger tree) is refused, so an export never mixes two histories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from lineage.crypto.note import MAX_NOTE_BYTES, open_checkpoint
from lineage.errors import InputError, LineageError, StoreError
from lineage.ledger.log import Ledger
from lineage.transparency.files import remove_leftovers, write_atomically
from lineage.transparency.tiles import (
    ENTRIES,
    TILE_WIDTH,
    Tile,
    entry_bundle,
    hash_tile,
    new_tiles,
)

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the sizes before and after, files and bytes."""

    old_size: int
    size: int
    files: int
    bytes: int

    def to_json(self) -> dict[str, int]:
        """The result as JSON."""
        return {
            "old_size": self.old_size,
            "size": self.size,
            "files": self.files,
            "bytes": self.bytes,
        }


def exported_size(ledger: Ledger, directory: Path) -> int:
    """The tree size of the checkpoint already in ``directory`` (0 if none), after
    checking it is one this log signed for that size."""
    path = directory / "checkpoint"
    if not path.exists():
        return 0
    try:
        with path.open("rb") as handle:
            note = handle.read(MAX_NOTE_BYTES + 1).decode("utf-8")
        old = open_checkpoint(note, ledger.origin, ledger.log_public_key)
    except (OSError, UnicodeDecodeError, LineageError) as exc:
        raise InputError(
            f"{path}: not a checkpoint of this log ({exc}); export into an empty directory"
        ) from exc
    if old.size > ledger.size() or ledger.root(old.size) != old.root:
        raise InputError(
            f"{path}: the tiles there are of another history of this log (size {old.size}"
            " does not match): refusing to mix them; export into an empty directory"
        )
    return old.size


@dataclass(frozen=True)
class ExportPlan:
    """What an export into a directory will write: the tiles the latest checkpoint (of
    ``size``, ``note``) has and the directory's (of ``old_size``) lacks."""

    old_size: int
    size: int
    note: str
    tiles: list[Tile]


def plan_export(ledger: Ledger, directory: Path) -> ExportPlan:
    """The tiles to write into ``directory`` (after checking what is there is this log's)."""
    latest = ledger.store.latest_checkpoint()
    if latest is None:
        raise InputError("the log has no checkpoint yet")
    size, note = latest
    old_size = exported_size(ledger, directory)
    return ExportPlan(old_size, size, note, new_tiles(old_size, size))


def write_export(
    ledger: Ledger, directory: Path, plan: ExportPlan, progress: Progress | None = None
) -> ExportResult:
    """Write the planned tiles, each whole, then the checkpoint (with the witnesses'
    cosignatures); ``progress`` is called once a tile."""
    directory.mkdir(parents=True, exist_ok=True)
    remove_leftovers(directory)
    files = written = 0
    hashes = [t for t in plan.tiles if t.level != ENTRIES]
    for tile in hashes:
        written += write_atomically(
            directory / tile.path(), hash_tile(tile, ledger.store.get_nodes)
        )
        files += 1
        if progress:
            progress(1)
    for tile, data in _bundles(ledger, [t for t in plan.tiles if t.level == ENTRIES]):
        written += write_atomically(directory / tile.path(), data)
        files += 1
        if progress:
            progress(1)
    written += write_atomically(directory / "checkpoint", plan.note.encode())
    return ExportResult(plan.old_size, plan.size, files + 1, written)


def export_tiles(ledger: Ledger, directory: Path, progress: Progress | None = None) -> ExportResult:
    """Write the tiles the latest checkpoint has and ``directory`` lacks, then the
    checkpoint (:func:`plan_export`, then :func:`write_export`)."""
    return write_export(ledger, directory, plan_export(ledger, directory), progress)


def _bundles(ledger: Ledger, bundles: list[Tile]) -> Iterator[tuple[Tile, bytes]]:
    """Each entry bundle's bytes, reading the entries once, in order."""
    if not bundles:
        return
    wanted = {tile.index: tile for tile in bundles}
    start = min(wanted) * TILE_WIDTH
    end = max(t.index * TILE_WIDTH + t.width for t in bundles)
    entries = ledger.store.iter_entries(start)
    for index, group in groupby(entries, key=lambda row: row[0] // TILE_WIDTH):
        rows = [row for row in group if row[0] < end]
        tile = wanted.get(index)
        if tile is not None:
            if len(rows) < tile.width:
                raise StoreError(f"entries of {tile.path()} are missing from the store")
            try:
                yield tile, entry_bundle(body for _, _, body in rows[: tile.width])
            except InputError as exc:
                first = rows[0][0]
                raise InputError(
                    f"entry bundle {tile.path()} (entries {first}-{first + len(rows) - 1}):"
                    f" {exc}; a Lineage/v1 statement with inline edges is too large to"
                    " publish as tiles"
                ) from exc
        if rows and rows[-1][0] + 1 >= end:
            return
