"""The lake's per-part filters: no false negatives, about the false-positive rate their
size promises, and a damaged or missing filter, or one of other keys, reads as "may hold
anything"."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lineage.store.lake.bloom import BloomFilter, key_hashes


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
    path.write_bytes(bloom.to_bytes(b"LBE1"))
    again = BloomFilter.read(path, b"LBE1")
    assert again is not None and np.array_equal(again.words, bloom.words)
    assert again.might_hold(key_hashes(["post:1", "post:2"])).all()
    assert BloomFilter.read(path, b"LBF1") is None  # it holds other keys than those asked
    path.write_bytes(bloom.to_bytes(b"LBE1")[:-8])
    assert BloomFilter.read(path, b"LBE1") is None
    assert BloomFilter.read(tmp_path / "absent.bloom", b"LBE1") is None
