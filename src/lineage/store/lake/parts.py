"""The lake store's Parquet parts: immutable files, made visible by the log's transaction.

A part is one Parquet file of one table's rows. It is written under a temporary name,
flushed to disk and renamed into ``parts/<table>/`` *before* the transaction that lists
it in the ``parts`` table commits; readers read only listed parts. A crash before the
commit leaves a file that no reader lists (an orphan), and the next writer deletes it
while it holds the write lock, so no reader ever sees half of an append.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lineage.errors import StoreError
from lineage.store.lake.bloom import BloomFilter, key_hashes
from lineage.store.lake.tables import SCHEMAS

PARTS_SCHEMA = """
CREATE TABLE parts (
    file TEXT PRIMARY KEY, tbl TEXT NOT NULL, rows INTEGER NOT NULL,
    bytes INTEGER NOT NULL, sha256 TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE retired_parts (file TEXT PRIMARY KEY, retired_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE edges_up_kept (since INTEGER NOT NULL)
"""
EDGES_UP_KEPT = "edges_up_kept"
"""A lake made with this table keeps the edges sorted by upstream end too (``edges_up``);
one made before it does not, and its reads of edges out of nodes scan ``edges``."""
RETIRED_GRACE_SECONDS = 900.0
"""How long a part merged into another stays on disk: a reader that listed it before
the merge committed may still be reading it."""
PARTS_DIR = "parts"
_KEPT = "SELECT file FROM parts UNION SELECT file FROM retired_parts"
_SUFFIX = ".parquet"
BLOOM_SUFFIX = ".bloom"
_TEMPORARY = ".tmp-"
_ROW_GROUP = 16 * 1024
"""Rows per Parquet row group: the unit DuckDB skips by its min/max statistics."""
_ROW_GROUPS = {"batches": 1}
"""A batch's items are up to megabytes: each is a row group of its own, so reading one
batch (a bundle's disclosure) reads it alone."""


@dataclass(frozen=True)
class Part:
    """A written part: its file (relative to the lake), table, rows, size and digest."""

    file: str
    table: str
    rows: int
    bytes: int
    sha256: str


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_synced(path: Path, data: bytes) -> None:
    """Write a file under a temporary name, flush it and rename it into place."""
    temporary = path.with_name(f"{_TEMPORARY}{path.name}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, path)


@dataclass(frozen=True)
class Filtered:
    """Which ids the filter of a table's parts holds (the values of these columns), and
    the mark its header carries."""

    columns: tuple[str, ...]
    magic: bytes

    def keys(self, batch: pa.RecordBatch) -> pa.ChunkedArray:
        """The ids of ``batch`` the filter holds."""
        return pa.chunked_array([batch.column(column) for column in self.columns])


FILTERED: dict[str, Filtered] = {
    # earlier filters (marks ending in 1) hashed ids with BLAKE2b, and those of edge
    # parts held only the upstream ends of looping edges: they are ignored
    "nodes": Filtered(("id",), b"LBN2"),
    "edges": Filtered(("up", "down"), b"LBE2"),
    "drops": Filtered(("node",), b"LBD2"),
    "edges_up": Filtered(("up",), b"LBU2"),
}
"""The tables whose parts carry a filter, and the ids it holds: a node part's ids, an
edge part's two ends of every edge, a drop part's dropped nodes, an ``edges_up`` part's
upstream ends."""


def first_entry(path: Path) -> int:
    """The first entry a batch part holds (its rows are in entry order)."""
    metadata = pq.ParquetFile(path).metadata
    if not metadata.num_row_groups:
        return 0
    statistics = metadata.row_group(0).column(0).statistics
    return int(statistics.min) if statistics is not None and statistics.has_min_max else 0


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class PartFiles:
    """The parts of one lake directory: writing, listing and removing orphans."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, file: str) -> Path:
        """The absolute path of a listed part."""
        return self.root / file

    def write(self, table: str, rows: pa.Table | pa.RecordBatchReader, expected: int) -> Part:
        """Write ``rows`` (about ``expected`` of them) as a new part of ``table``, with
        its filter if the table has one (:mod:`lineage.store.lake.bloom`), and flush
        both to disk (not listed yet)."""
        folder = self.root / PARTS_DIR / table
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{uuid.uuid4().hex}{_SUFFIX}"
        temporary = folder / f"{_TEMPORARY}{name}"
        filtered = FILTERED.get(table)
        bloom = BloomFilter.sized_for(expected) if filtered else None
        row_group = _ROW_GROUPS.get(table, _ROW_GROUP)
        count = 0
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                with pq.ParquetWriter(handle, rows.schema, compression="zstd") as writer:
                    batches = rows.to_batches() if isinstance(rows, pa.Table) else rows
                    for batch in batches:
                        writer.write_batch(batch, row_group_size=row_group)
                        count += batch.num_rows
                        if bloom is not None and filtered is not None:
                            bloom.add(key_hashes(filtered.keys(batch)))
                handle.flush()
                os.fsync(handle.fileno())
            digest = file_digest(temporary)
            size = temporary.stat().st_size
            if bloom is not None and filtered is not None:
                _write_synced(folder / f"{name}{BLOOM_SUFFIX}", bloom.to_bytes(filtered.magic))
            os.rename(temporary, folder / name)
            _fsync_directory(folder)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise StoreError(f"{folder}: cannot write a part: {exc.strerror}") from exc
        return Part(f"{PARTS_DIR}/{table}/{name}", table, count, size, digest)

    def bloom(self, file: str) -> BloomFilter | None:
        """The filter beside a listed part (None: the part has none we can use)."""
        table = file.split("/")[1]
        filtered = FILTERED.get(table)
        if filtered is None:
            return None
        return BloomFilter.read(self.path(file + BLOOM_SUFFIX), filtered.magic)

    def remove(self, files: Iterable[str]) -> None:
        """Delete these parts' files and their filters."""
        for file in files:
            self.path(file).unlink(missing_ok=True)
            self.path(file + BLOOM_SUFFIX).unlink(missing_ok=True)

    def on_disk(self) -> Iterator[str]:
        """Every file under ``parts/``, relative to the lake."""
        base = self.root / PARTS_DIR
        if not base.is_dir():
            return
        for folder in sorted(base.iterdir()):
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    yield f"{PARTS_DIR}/{folder.name}/{path.name}"

    def remove_orphans(self, db: sqlite3.Connection, now: float) -> int:
        """Delete the files no committed append lists, and merged parts past their grace
        time; call it holding the write lock."""
        expired = [
            str(row[0])
            for row in db.execute(
                "SELECT file FROM retired_parts WHERE retired_at < ?",
                (now - RETIRED_GRACE_SECONDS,),
            )
        ]
        db.executemany("DELETE FROM retired_parts WHERE file = ?", [(f,) for f in expired])
        kept = {
            row[0]
            for row in db.execute("SELECT file FROM parts UNION SELECT file FROM retired_parts")
        }
        orphans = [f for f in self.on_disk() if f.removesuffix(BLOOM_SUFFIX) not in kept]
        self.remove(orphans)
        return len(orphans)


def listed_files(db: sqlite3.Connection, table: str) -> list[str]:
    """The parts of ``table`` the connection's transaction sees, in name order."""
    rows = db.execute("SELECT file FROM parts WHERE tbl = ? ORDER BY file", (table,))
    return [str(row[0]) for row in rows]


def register(db: sqlite3.Connection, parts: Iterable[Part]) -> None:
    """List written parts in the open write transaction (visible when it commits)."""
    db.executemany(
        "INSERT INTO parts (file, tbl, rows, bytes, sha256) VALUES (?, ?, ?, ?, ?)",
        [(p.file, p.table, p.rows, p.bytes, p.sha256) for p in parts],
    )


def listed_parts(db: sqlite3.Connection, table: str) -> list[tuple[str, int]]:
    """(file, rows) of the parts of ``table``."""
    rows = db.execute("SELECT file, rows FROM parts WHERE tbl = ? ORDER BY file", (table,))
    return [(str(r[0]), int(r[1])) for r in rows]


def retire(db: sqlite3.Connection, files: Iterable[str], now: float) -> None:
    """Unlist merged parts in the open write transaction; their files stay for a while."""
    listed = [(file,) for file in files]
    db.executemany("DELETE FROM parts WHERE file = ?", listed)
    db.executemany(
        "INSERT OR REPLACE INTO retired_parts (file, retired_at) VALUES (?, ?)",
        [(file, now) for (file,) in listed],
    )


def part_problems(db: sqlite3.Connection, files: PartFiles) -> list[str]:
    """Listed parts that are missing, whose bytes are not the ones written, or whose
    columns are not their table's (a column of another type would be cast silently by
    the queries: entries compared as text)."""
    problems = []
    for file, size, digest in db.execute("SELECT file, bytes, sha256 FROM parts ORDER BY file"):
        path = files.path(file)
        if not path.is_file():
            problems.append(f"part {file} is missing")
        elif path.stat().st_size != size or file_digest(path) != digest:
            problems.append(f"part {file} is not the file that was written")
        elif not _schema_is(path, SCHEMAS.get(file.split("/")[1])):
            problems.append(f"part {file} does not have its table's columns and types")
    return problems


def _schema_is(path: Path, schema: pa.Schema | None) -> bool:
    try:
        found = pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return False
    return schema is not None and [(f.name, f.type) for f in found] == [
        (f.name, f.type) for f in schema
    ]
