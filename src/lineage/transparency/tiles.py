"""The log as c2sp.org/tlog-tiles: tile paths, which tiles a tree has, and their bytes.

A hash tile at level ``L``, index ``N`` holds the hashes of the complete subtrees of
``256**L`` leaves ``N*256 .. N*256+255`` (width ``W`` < 256 for the rightmost, partial,
one); an entry bundle holds the entries of the level-0 tile of the same index, each
prefixed by its length as a big-endian uint16. Paths:

    tile/<L>/<N>[.p/<W>]        tile/entries/<N>[.p/<W>]

with ``N`` in zero-padded groups of three digits, all but the last prefixed by ``x``
(1234067 -> ``x001/x234/067``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from lineage.crypto.merkle.hasher import HASH_SIZE
from lineage.crypto.merkle.nodes import NodeId
from lineage.errors import InputError

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_BYTES = 0xFFFF
ENTRIES = -1
"""The level of entry bundles (the data tiles under level 0)."""
_MAX_LEVEL = 63
_PATH = re.compile(
    r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?"
)


@dataclass(frozen=True, order=True)
class Tile:
    """A hash tile (``level`` >= 0) or entry bundle (``level`` == ENTRIES); ``width`` is
    256 for a full tile."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def partial(self) -> bool:
        """Whether the tile is the rightmost, incomplete one of its level."""
        return self.width < TILE_WIDTH

    def path(self) -> str:
        """The tile's path below the log's prefix."""
        level = "entries" if self.level == ENTRIES else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """A tile index as path elements: 1234067 -> ``x001/x234/067``."""
    if index < 0:
        raise ValueError("a tile index is not negative")
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join(["x" + group for group in groups[:-1]] + [groups[-1]])


def parse_tile_path(path: str) -> Tile:
    """The tile a path names; :class:`InputError` if it is not a tlog-tiles path."""
    match = _PATH.fullmatch(path)
    if match is None or len(path) > 200:
        raise InputError(f"not a tile path: {path[:80]!r}")
    level_text, index_text, width_text = match.groups()
    level = ENTRIES if level_text == "entries" else int(level_text)
    if level > _MAX_LEVEL:
        raise InputError(f"tile level {level} is above {_MAX_LEVEL}")
    index = int(index_text.replace("x", "").replace("/", ""))
    if encode_index(index) != index_text:
        raise InputError(f"not a canonical tile path: {path[:80]!r}")
    width = int(width_text) if width_text else TILE_WIDTH
    if width_text and width >= TILE_WIDTH:
        raise InputError(f"a partial tile is 1 to 255 wide, not {width}")
    return Tile(level, index, width)


def tiles_of(size: int, *, entries: bool = True) -> Iterator[Tile]:
    """Every tile (full and the partial ones) of the tree of ``size`` leaves."""
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        full, width = divmod(hashes, TILE_WIDTH)
        levels = [level, ENTRIES] if level == 0 and entries else [level]
        for at in levels:
            yield from (Tile(at, index) for index in range(full))
            if width:
                yield Tile(at, full, width)
        level += 1


def new_tiles(old_size: int, size: int, *, entries: bool = True) -> list[Tile]:
    """The tiles of the tree of ``size`` leaves that the tree of ``old_size`` lacks."""
    before = set(tiles_of(old_size, entries=entries)) if old_size else set()
    return [tile for tile in tiles_of(size, entries=entries) if tile not in before]


def contains(tile: Tile, size: int) -> bool:
    """Whether a tree of ``size`` leaves has all of the tile's hashes (or entries)."""
    level = max(tile.level, 0)
    return tile.index * TILE_WIDTH + tile.width <= size >> (TILE_HEIGHT * level)


def hash_tile(tile: Tile, nodes: Callable[[Sequence[NodeId]], dict[NodeId, bytes]]) -> bytes:
    """The bytes of hash tile ``tile``: its hashes, in order, from the stored subtrees."""
    height = tile.level * TILE_HEIGHT
    wanted = [(height, tile.index * TILE_WIDTH + i) for i in range(tile.width)]
    found = nodes(wanted)
    return b"".join(found[node] for node in wanted)


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry prefixed by its length (big-endian uint16)."""
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise InputError(
                f"an entry of {len(entry)} bytes does not fit a tlog-tiles entry bundle"
                f" (at most {MAX_ENTRY_BYTES} bytes an entry)"
            )
        parts.append(struct.pack(">H", len(entry)))
        parts.append(entry)
    return b"".join(parts)


def read_bundle(data: bytes, width: int) -> list[bytes]:
    """The ``width`` entries of an entry bundle; :class:`InputError` if it holds other."""
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise InputError("entry bundle ends inside a length prefix")
        (length,) = struct.unpack_from(">H", data, offset)
        offset += 2
        if offset + length > len(data):
            raise InputError("entry bundle ends inside an entry")
        entries.append(data[offset : offset + length])
        offset += length
    if len(entries) != width:
        raise InputError(f"entry bundle holds {len(entries)} entries, expected {width}")
    return entries


def read_hashes(data: bytes, width: int) -> list[bytes]:
    """The ``width`` hashes of a hash tile; :class:`InputError` if it holds other."""
    if len(data) != width * HASH_SIZE:
        raise InputError(f"hash tile has {len(data)} bytes, expected {width * HASH_SIZE}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
