"""Bloom filters beside the lake's parts: which parts may hold an id.

Two checks run at every append: is a node of the batch already stored (a node asserted
again with other attributes is refused), and does a stored ``DERIVED_FROM`` or
``FINETUNED_FROM`` edge lead out of a node of the batch (a loop could close through
it). The ids of a pipeline's new records are in no part, and DuckDB cannot skip row
groups for a list of random ids, so without a filter each check reads an id column of
every part: a cost that grows with the ledger. A node part carries a filter of its ids,
an edge part one of both ends of its edges, a drop part one of its dropped nodes; a
check then reads only the parts whose filter may hold one of the batch's ids, and only
for those ids.

A filter is 24 bits a key with 16 probes (a false positive about once in 10^5 probes),
double hashing over a 64-bit hash of the id and a mix of it. The hash is DuckDB's
``hash()``, vectorised: a merge hashes millions of ids, which a hash called from Python
a key at a time made a large share of ingest. DuckDB does not promise that its hash
stays the same across versions, so a filter's header carries the hash of a fixed
string as its writer computed it; a reader whose DuckDB hashes it otherwise ignores the
filter (slower reads, never a wrong answer). A filter is written beside its part,
flushed, before the part itself; a part without one (or with one that cannot be read,
that holds other keys, since its header names them, or that was hashed otherwise) is
read as if its filter said yes to everything.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

BITS_PER_KEY = 24
PROBES = 16
MIN_BITS = 4096
"""The smallest filter: double hashing gives a filter of m bits at most m²/2 probe
patterns, so a filter of a few keys must still be thousands of bits wide."""
_HEADER = struct.Struct("<4sIQQ")
_CHUNK = 1 << 16
_HASH_CHECK_INPUT = "lineage bloom filter: the hash of this string names the hash"
_hashing = threading.Lock()


@cache
def _hasher() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:", config={"threads": 1})


def _mixed(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a second hash derived from the first."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> np.uint64(30))
        values = values * np.uint64(0xBF58476D1CE4E5B9)
        values = values ^ (values >> np.uint64(27))
        values = values * np.uint64(0x94D049BB133111EB)
        mixed: np.ndarray = values ^ (values >> np.uint64(31))
    return mixed


def key_hashes(ids: Sequence[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Two 64-bit hashes of each id, as an (n, 2) array."""
    if isinstance(ids, pa.Array | pa.ChunkedArray) or len(ids) > _FEW:
        first = _hashed_column(ids)
    else:
        first = _hashed_few(ids)
    return np.stack([first, _mixed(first)], axis=1)


_FEW = 256
"""Up to this many ids are hashed as a query parameter (a read about a few nodes: the
fixed cost of a query matters there, and their hashes are remembered)."""
_REMEMBERED = 100_000
_remembered: dict[str, int] = {}


def _hashed_column(ids: Sequence[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    keys = pa.table({"key": ids if isinstance(ids, pa.Array | pa.ChunkedArray) else list(ids)})
    with _hashing:
        hasher = _hasher()
        hasher.register("keys", keys)
        try:
            hashed = hasher.execute("SELECT hash(key::VARCHAR) AS h FROM keys").fetchnumpy()
        finally:
            hasher.unregister("keys")
    return np.asarray(hashed["h"], dtype="<u8")


def _hashed_few(ids: Sequence[str]) -> np.ndarray:
    with _hashing:
        unknown = sorted({i for i in ids if i not in _remembered})
        if unknown:
            rows = _hasher().execute(
                "SELECT k, hash(k) FROM (SELECT unnest($ids::VARCHAR[]) AS k)", {"ids": unknown}
            )
            found = rows.fetchall()
            if len(_remembered) + len(found) > _REMEMBERED:
                _remembered.clear()
            _remembered.update((str(key), int(value)) for key, value in found)
        return np.array([_remembered[i] for i in ids], dtype="<u8")


@cache
def hash_check() -> int:
    """The hash of a fixed string, as this process's DuckDB computes it."""
    return int(key_hashes([_HASH_CHECK_INPUT])[0, 0])


class BloomFilter:
    """A Bloom filter over ids, held as a bit array of ``bits`` bits."""

    def __init__(self, bits: int, words: np.ndarray | None = None) -> None:
        self.bits = max(MIN_BITS, (bits + 63) // 64 * 64)
        self.words = words if words is not None else np.zeros(self.bits // 64, dtype="<u8")

    @classmethod
    def sized_for(cls, keys: int) -> BloomFilter:
        """An empty filter for about ``keys`` ids."""
        return cls(max(1, keys) * BITS_PER_KEY)

    def _positions(self, hashes: np.ndarray) -> np.ndarray:
        probes = np.arange(PROBES, dtype="<u8")
        # the step is made odd: with a power-of-two size, every probe then falls on
        # another bit (an even step would revisit a few bits)
        steps = hashes[:, 1:2] | np.uint64(1)
        with np.errstate(over="ignore"):
            mixed = hashes[:, :1] + probes * steps
        positions: np.ndarray = mixed % np.uint64(self.bits)
        return positions

    def add(self, hashes: np.ndarray) -> None:
        """Add the ids of these hashes."""
        for start in range(0, len(hashes), _CHUNK):
            positions = self._positions(hashes[start : start + _CHUNK]).ravel()
            np.bitwise_or.at(
                self.words, positions >> np.uint64(6), np.uint64(1) << (positions & np.uint64(63))
            )

    def might_hold(self, hashes: np.ndarray) -> np.ndarray:
        """For each of these hashes, whether its id may be in the filter (booleans)."""
        found = np.empty(len(hashes), dtype=bool)
        for start in range(0, len(hashes), _CHUNK):
            positions = self._positions(hashes[start : start + _CHUNK])
            words = self.words[positions >> np.uint64(6)]
            set_bits = (words >> (positions & np.uint64(63))) & np.uint64(1)
            found[start : start + len(positions)] = set_bits.all(axis=1)
        return found

    def to_bytes(self, magic: bytes) -> bytes:
        """The filter as stored: a header (``magic`` names the keys it holds), then the
        bit array."""
        return _HEADER.pack(magic, PROBES, self.bits, hash_check()) + self.words.tobytes()

    @classmethod
    def read(cls, path: Path, magic: bytes) -> BloomFilter | None:
        """The filter stored at ``path``; None if there is none, it is not one, it
        holds keys other than those ``magic`` names, or its ids were hashed otherwise."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if len(data) < _HEADER.size:
            return None
        found, probes, bits, check = _HEADER.unpack_from(data)
        body = data[_HEADER.size :]
        if found != magic or probes != PROBES or bits % 64 or bits < MIN_BITS:
            return None
        if check != hash_check():
            return None
        if len(body) != bits // 8:
            return None
        return cls(bits, np.frombuffer(body, dtype="<u8").copy())
