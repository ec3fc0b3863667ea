"""The columnar pipeline API writes exactly what the per-record API writes.

The same pipeline (origins with repeated authors, ages and content digests, a filter
that drops some posts, transforms with and without the pipeline's record ids, a shard)
is recorded once record by record and once column by column, from an Arrow table, a
pandas and a Polars frame, with the same subject keys: the two ledgers commit to the same
items, byte for byte, and project the same nodes, edges and drops, on each store."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from lineage.errors import InputError
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.verify import verify_ledger
from lineage.model.identity import SeededKeySource
from lineage.query.trace import Trace
from lineage.store import Store, open_store

from support.ledgers import pipeline_ledger

STEPS = ["collect", "visibility", "redact", "pack"]
POSTS = 23
BATCH = 7


def _posts() -> dict[str, list[Any]]:
    return {
        "post_id": [f"fb:{n}" for n in range(POSTS)],
        "platform": ["facebook" if n % 3 else "instagram" for n in range(POSTS)],
        "surface": ["feed"] * POSTS,
        "visibility": ["public" if n % 4 else "friends" for n in range(POSTS)],
        "created": [f"2024-05-{1 + n % 28:02d}T08:00:00Z" for n in range(POSTS)],
        "jurisdiction": ["US" if n % 5 else "BR" for n in range(POSTS)],
        "author": [f"fb:user:{n % 6}" for n in range(POSTS)],
        "author_age": ["adult" if n % 7 else "minor" for n in range(POSTS)],
        "content_sha256": [hashlib.sha256(b"%d" % n).hexdigest() for n in range(POSTS)],
    }


def _steps(lineage: Lineage) -> dict[str, Any]:
    return {
        name: lineage.step(name, key="k", run="r1", time="2024-06-01T00:00:00Z") for name in STEPS
    }


def per_record(lineage: Lineage) -> list[str]:
    steps, posts = _steps(lineage), _posts()
    kept: list[Ref] = []
    for n in range(POSTS):
        post = steps["collect"].origin(
            posts["post_id"][n],
            **{k: posts[k][n] for k in ("platform", "surface", "visibility", "created")},
            jurisdiction=posts["jurisdiction"][n],
            author=posts["author"][n],
            author_age=posts["author_age"][n],
            content_digest=posts["content_sha256"][n],
        )
        if posts["visibility"][n] != "public":
            steps["visibility"].drop(post, "not public")
            continue
        record = steps["visibility"].keep(post)
        raw = f"rec-{n}" if n % 2 else None
        kept.append(steps["redact"].transform(record, raw, content_digest="ab" * 32))
    steps["pack"].shard("s-1", sha256="cd" * 32, size=10, records=kept)
    return [r.id for r in kept]


def columnar(lineage: Lineage, frame: Any) -> list[str]:
    steps = _steps(lineage)
    posts = steps["collect"].origins(frame)
    public = [v == "public" for v in _posts()["visibility"]]
    steps["visibility"].drops(posts.filter([not p for p in public]), "not public")
    records = steps["visibility"].keeps(posts.filter(public))
    numbers = [n for n in range(POSTS) if public[n]]
    raw = pa.array([f"rec-{n}" if n % 2 else None for n in numbers])
    kept = steps["redact"].transforms(records, raw, content_sha256=["ab" * 32] * len(numbers))
    steps["pack"].shard("s-1", sha256="cd" * 32, size=10, records=kept)
    return kept.ids


def _items(store: Store) -> list[bytes]:
    return sorted(line for _, items in store.iter_batches() for line in items.split(b"\n"))


def _rows(store: Store, table: str) -> list[tuple[object, ...]]:
    """The rows without the entry and time that asserted them."""
    return sorted(
        tuple(row)[:-2] if table != "drops" else row[:2] for row in store.iter_rows(table)
    )


FRAMES = {
    "arrow": lambda: pa.table(_posts()),
    "pandas": lambda: pd.DataFrame(_posts()),
    "polars": lambda: pl.DataFrame(_posts()),
    "mapping": _posts,
}


@pytest.mark.parametrize("frame", sorted(FRAMES))
def test_columns_make_the_same_entries_as_records(
    store_url: str, tmp_path: Path, frame: str
) -> None:
    reference_url = f"sqlite:///{tmp_path / 'per-record.db'}"
    keys = pipeline_ledger(tmp_path, reference_url, STEPS)
    with Lineage.open(
        reference_url, keys_dir=keys, batch_size=BATCH, key_source=SeededKeySource(7)
    ) as lineage:
        expected_ids = per_record(lineage)
    pipeline_ledger(tmp_path, store_url, STEPS)
    with Lineage.open(
        store_url, keys_dir=keys, batch_size=BATCH, key_source=SeededKeySource(7)
    ) as lineage:
        ids = columnar(lineage, FRAMES[frame]())
    assert ids == expected_ids
    reference, store = open_store(reference_url), open_store(store_url)
    try:
        # the same items, byte for byte, in statements cut at other places (record by
        # record the steps interleave, and the visibility step drops and keeps in turn)
        assert _items(store) == _items(reference)
        for table in ("nodes", "edges", "drops"):
            assert _rows(store, table) == _rows(reference, table)
        assert verify_ledger(store).ok
        origins = {r.id for r in Trace(store, "shard:s-1").origins()}
        assert len(origins) == sum(1 for v in _posts()["visibility"] if v == "public")
    finally:
        reference.close()
        store.close()


def test_bad_columns_are_named(sqlite_url: str, tmp_path: Path) -> None:
    keys = pipeline_ledger(tmp_path, sqlite_url, STEPS)
    with Lineage.open(sqlite_url, keys_dir=keys) as lineage:
        collect = lineage.step("collect", key="k")
        missing = {k: v for k, v in _posts().items() if k != "jurisdiction"}
        with pytest.raises(InputError, match="missing column"):
            collect.origins(missing)
        with pytest.raises(InputError, match="unknown column"):
            collect.origins({**_posts(), "colour": ["red"] * POSTS})
        nulls = {**_posts(), "author": [None, *_posts()["author"][1:]]}
        with pytest.raises(InputError, match="column author is null in row 0"):
            collect.origins(nulls)
        with pytest.raises(InputError, match=r"origins\[1\].created"):
            collect.origins(
                {
                    **_posts(),
                    "created": [
                        "2024-05-01T00:00:00Z",
                        "yesterday",
                        *["2024-05-01T00:00:00Z"] * (POSTS - 2),
                    ],
                }
            )
        posts = collect.origins(_posts())
        with pytest.raises(InputError, match="3 values for 23"):
            lineage.step("redact", key="k").transforms(posts, ["a", "b", "c"])
        with pytest.raises(InputError, match="reason of 1-200"):
            lineage.step("visibility", key="k").drops(posts, "")
