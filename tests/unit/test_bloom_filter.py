"""The lake's per-part filters: no false negatives, about the false-positive rate their
size promises, and a damaged or missing filter, one of other keys, or one whose ids were
hashed by another hash, reads as "may hold anything"."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pyarrow as pa

from lineage.store.lake.bloom import BloomFilter, hash_check, key_hashes


def test_every_added_id_is_found_and_few_others_are() -> None:
    added = [f"rec:{n:024x}" for n in range(20_000)]
    others = [f"rec:{n:024x}" for n in range(20_000, 220_000)]
    bloom = BloomFilter.sized_for(len(added))
    bloom.add(key_hashes(added))
    assert bloom.might_hold(key_hashes(added)).all()
    false_positives = int(bloom.might_hold(key_hashes(others)).sum())
    assert false_positives <= 20  # 200,000 probes at about 1e-5


def test_a_filter_reads_back_as_written_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    bloom = BloomFilter.sized_for(100)
    bloom.add(key_hashes(["post:1", "post:2"]))
    path = tmp_path / "part.parquet.bloom"
    path.write_bytes(bloom.to_bytes(b"LBE2"))
    again = BloomFilter.read(path, b"LBE2")
    assert again is not None and np.array_equal(again.words, bloom.words)
    assert again.might_hold(key_hashes(["post:1", "post:2"])).all()
    assert BloomFilter.read(path, b"LBN2") is None  # it holds other keys than those asked
    path.write_bytes(bloom.to_bytes(b"LBE2")[:-8])
    assert BloomFilter.read(path, b"LBE2") is None
    assert BloomFilter.read(tmp_path / "absent.bloom", b"LBE2") is None


def test_a_filter_hashed_by_another_hash_is_ignored(tmp_path: Path) -> None:
    bloom = BloomFilter.sized_for(10)
    bloom.add(key_hashes(["post:1"]))
    stored = bytearray(bloom.to_bytes(b"LBN2"))
    header = struct.Struct("<4sIQQ")
    assert header.unpack_from(stored)[3] == hash_check()
    header.pack_into(stored, 0, b"LBN2", 16, bloom.bits, hash_check() ^ 1)
    path = tmp_path / "part.parquet.bloom"
    path.write_bytes(bytes(stored))
    assert BloomFilter.read(path, b"LBN2") is None  # another DuckDB, another hash
    earlier = struct.pack("<4sIQ", b"LBF1", 16, 4096) + bytes(512)  # BLAKE2b filters
    path.write_bytes(earlier)
    assert BloomFilter.read(path, b"LBN2") is None


def test_ids_hash_the_same_from_a_list_and_from_arrow_columns() -> None:
    ids = ["post:1", "rec:0123456789abcdef01234567", "model:é"]
    from_list = key_hashes(ids)
    from_columns = key_hashes(pa.chunked_array([pa.array(ids[:1]), pa.array(ids[1:])]))
    assert np.array_equal(from_list, from_columns)
    assert from_list.shape == (3, 2) and len({int(h) for h in from_list[:, 0]}) == 3
    assert key_hashes([]).shape == (0, 2)
    many = [f"rec:{n:024x}" for n in range(1000)] + ids  # past the few hashed one query each
    hashed = key_hashes(many)
    assert np.array_equal(hashed[-3:], from_list)
    assert np.array_equal(key_hashes(many[:5]), hashed[:5])
