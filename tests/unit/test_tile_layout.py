"""c2sp.org/tlog-tiles: paths, the set of tiles of a tree and their bytes, against the
spec's own examples and a plain transcription of RFC 9162."""

from __future__ import annotations

import struct
from collections import Counter

import pytest

from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.nodes import NodeId
from lineage.errors import InputError
from lineage.transparency.tiles import (
    ENTRIES,
    Tile,
    contains,
    encode_index,
    entry_bundle,
    hash_tile,
    new_tiles,
    parse_tile_path,
    read_bundle,
    read_hashes,
    tiles_of,
)

from support.merkle_reference import mth


def test_tile_index_paths_follow_the_spec_example() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert Tile(0, 1234067).path() == "tile/0/x001/x234/067"
    assert Tile(2, 5, 17).path() == "tile/2/005.p/17"
    assert Tile(ENTRIES, 1234067, 8).path() == "tile/entries/x001/x234/067.p/8"


@pytest.mark.parametrize(
    "tile",
    [Tile(0, 0), Tile(1, 999), Tile(63, 1000, 1), Tile(ENTRIES, 12345678, 255), Tile(3, 7)],
)
def test_paths_parse_back_to_their_tile(tile: Tile) -> None:
    assert parse_tile_path(tile.path()) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/00/000",
        "tile/0/x000",
        "tile/0/x000/001",
        "tile/0/x000/x000/001",
        "tile/0/001/002",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/08",
        "tile/64/000",
        "tile/data/000",
        "tile/entries/000/",
        "../tile/0/000",
        "checkpoint",
    ],
)
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(InputError):
        parse_tile_path(path)


def test_the_tiles_of_a_tree_of_70000_are_the_ones_the_spec_lists() -> None:
    tiles = list(tiles_of(70_000, entries=False))
    counted = Counter((t.level, t.partial) for t in tiles)
    assert counted == {(0, False): 273, (0, True): 1, (1, False): 1, (1, True): 1, (2, True): 1}
    assert [t for t in tiles if t.partial] == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]


def test_a_tree_of_256_is_one_full_tile_and_a_partial_one_above() -> None:
    assert list(tiles_of(256, entries=False)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tiles_of(256)) == [Tile(0, 0), Tile(ENTRIES, 0), Tile(1, 0, 1)]
    assert list(tiles_of(0)) == []


def test_new_tiles_are_those_the_smaller_tree_lacks() -> None:
    assert new_tiles(256, 257, entries=False) == [Tile(0, 1, 1)]
    assert new_tiles(300, 600, entries=False) == [
        Tile(0, 1),
        Tile(0, 2, 88),
        Tile(1, 0, 2),
    ]
    assert new_tiles(600, 600) == []


def test_a_tree_contains_only_the_tiles_inside_it() -> None:
    assert contains(Tile(0, 0, 29), 29)
    assert not contains(Tile(0, 0, 30), 29)
    assert not contains(Tile(0, 0), 255)
    assert contains(Tile(1, 0, 2), 512)
    assert not contains(Tile(1, 0, 2), 511)


def _tree(entries: list[bytes]) -> dict[NodeId, bytes]:
    tree = CompactRange()
    nodes: dict[NodeId, bytes] = {}
    for entry in entries:
        nodes.update(tree.append(leaf_hash(entry)))
    return nodes


def test_hash_tiles_hold_the_rfc_9162_hashes_of_their_ranges() -> None:
    entries = [f"entry {i}".encode() for i in range(600)]
    nodes = _tree(entries)

    def source(wanted: list[NodeId]) -> dict[NodeId, bytes]:
        return {node: nodes[node] for node in wanted}

    for tile in tiles_of(600, entries=False):
        hashes = read_hashes(hash_tile(tile, source), tile.width)
        span = 256**tile.level
        for i, value in enumerate(hashes):
            start = (tile.index * 256 + i) * span
            assert value == mth(entries[start : start + span])


def test_entry_bundles_are_uint16_length_prefixed() -> None:
    bundle = entry_bundle([b"", b"a", b"\x00" * 300])
    assert bundle == b"\x00\x00" + b"\x00\x01a" + struct.pack(">H", 300) + b"\x00" * 300
    assert read_bundle(bundle, 3) == [b"", b"a", b"\x00" * 300]
    with pytest.raises(InputError, match="holds 3 entries, expected 2"):
        read_bundle(bundle, 2)
    with pytest.raises(InputError, match="inside an entry"):
        read_bundle(bundle[:-1], 3)
    with pytest.raises(InputError, match="65535"):
        entry_bundle([b"x" * 65536])
