"""The lake's parts: filters spare the per-append lookups the parts that cannot hold the
ids asked for, compaction keeps few parts a table, and merged parts stay on disk for
readers until their grace time has passed."""

from __future__ import annotations

import random
import sqlite3
import struct
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lineage.crypto.dsse import Envelope, sign_envelope
from lineage.errors import NodeConflictError
from lineage.ledger.verify import verify_ledger
from lineage.model.graph import DERIVED_FROM
from lineage.model.rows import EdgeRow
from lineage.model.statement import Step, make_statement
from lineage.store import open_store
from lineage.store.lake.compaction import FANOUT, tier
from lineage.store.lake.parts import (
    BLOOM_SUFFIX,
    RETIRED_GRACE_SECONDS,
    PartFiles,
    file_digest,
)
from lineage.store.lake.store import LakeStore
from lineage.store.lake.tables import BATCHES, EDGES, EDGES_UP, NODES

from support.ledgers import EXAMPLE_TYPE, T0, LedgerEnv, example_envelope, ledger_env
from support.random_pipelines import random_pipeline
from support.stores import fresh_store_url, sqlite_path


@contextmanager
def _opened(url: str) -> Iterator[LakeStore]:
    """The lake store at ``url``, closed after the block."""
    store = open_store(url)
    try:
        assert isinstance(store, LakeStore)
        yield store
    finally:
        store.close()


def _random_lake(tmp_path: Path, seed: int) -> str:
    """The URL of a new lake holding a random pipeline, in statements of 3 edges."""
    url = fresh_store_url("lake", tmp_path)
    random_pipeline(tmp_path, url, random.Random(seed), batch=3)
    return url


@pytest.fixture
def lake(tmp_path: Path) -> LedgerEnv:
    for env in ledger_env(tmp_path, fresh_store_url("lake", tmp_path)):
        for n in range(1, 8):
            env.append([example_envelope(env.collector, n=n)])
        return env
    raise AssertionError("no ledger")


def _store(env: LedgerEnv) -> LakeStore:
    store = env.ledger.store
    assert isinstance(store, LakeStore)
    return store


def test_a_lookup_of_new_ids_reads_no_part(lake: LedgerEnv) -> None:
    store = _store(lake)
    parts, wanted = store._columnar.candidates(NODES, [f"rec:{n:024x}" for n in range(5000)])
    assert (parts, wanted) == ([], [])
    assert store.nodes(["rec:" + "00" * 12]) == {}
    parts, wanted = store._columnar.candidates(NODES, ["ds:example-3"])
    assert wanted == ["ds:example-3"] and len(parts) == 1
    assert store.nodes(["ds:example-3"])["ds:example-3"].kind == "Dataset"


def test_a_part_without_its_filter_is_still_read(lake: LedgerEnv) -> None:
    root = sqlite_path(lake.url).parent
    for bloom in root.glob(f"parts/{NODES}/*{BLOOM_SUFFIX}"):
        bloom.unlink()
    lake.ledger.close()
    lake.ledger = type(lake.ledger).open(lake.url)
    store = _store(lake)
    assert store.nodes(["ds:example-3"])["ds:example-3"].kind == "Dataset"
    with pytest.raises(NodeConflictError, match="ds:example-3 was recorded by entry"):
        lake.append([_redeclared(lake)])


def _redeclared(env: LedgerEnv) -> Envelope:
    """``ds:example-3`` declared again, with other attributes."""
    statement = make_statement(
        [{"name": "ds:example-3", "digest": {"sha256": "11" * 32}}],
        EXAMPLE_TYPE,
        Step("collect", "1", "run-2"),
        T0,
        {"nodes": [["Dataset", "ds:example-3", {"version": "2"}]]},
    )
    return sign_envelope(statement.payload(), env.collector)


def test_compaction_keeps_few_parts_and_merged_ones_wait_for_readers(lake: LedgerEnv) -> None:
    root = sqlite_path(lake.url).parent
    db = sqlite3.connect(sqlite_path(lake.url))
    try:
        rows = db.execute("SELECT rows FROM parts WHERE tbl = 'nodes'").fetchall()
        retired = [r[0] for r in db.execute("SELECT file FROM retired_parts")]
    finally:
        db.close()
    assert sum(r[0] for r in rows) == 7  # one node an append, merged
    tiers = Counter(tier(r[0]) for r in rows)
    assert len(rows) < 7 and all(count < FANOUT for count in tiers.values())
    assert retired and all((root / f).exists() for f in retired)
    files = PartFiles(root)
    with _store(lake).append_session():
        pass  # a writer removes only what is past its grace time
    assert all((root / f).exists() for f in retired)
    db = sqlite3.connect(sqlite_path(lake.url))
    try:
        with db:
            db.execute(
                "UPDATE retired_parts SET retired_at = retired_at - ?", (RETIRED_GRACE_SECONDS + 1,)
            )
        with db:
            db.execute("BEGIN IMMEDIATE")
            files.remove_orphans(db, time.time())
    finally:
        db.close()
    assert not any((root / f).exists() for f in retired)
    assert verify_ledger(lake.ledger.store).ok


def test_merged_batch_parts_keep_every_entry_in_order(tmp_path: Path) -> None:
    url = _random_lake(tmp_path, 3)
    with _opened(url) as store:
        db = sqlite3.connect(sqlite_path(url))
        try:
            merged = db.execute("SELECT count(*) FROM retired_parts WHERE file LIKE '%batches%'")
            assert merged.fetchone()[0] >= FANOUT  # batch parts were merged
        finally:
            db.close()
        entries = [entry for entry, _ in store.iter_batches()]
        assert entries == sorted(entries) and len(entries) == len(set(entries)) > FANOUT
        assert verify_ledger(store).ok  # every batch root again from the merged items
        for path in store.part_paths(BATCHES):  # one batch is read without its neighbours
            metadata = pq.ParquetFile(path).metadata
            assert metadata.num_row_groups == metadata.num_rows


def test_edge_filters_hold_both_ends_and_earlier_ones_are_ignored(
    tmp_path: Path,
) -> None:
    url = _random_lake(tmp_path, 5)
    with _opened(url) as store:
        edges = list(store.iter_rows(EDGES))
        posts = sorted({e.up for e in edges if e.up.startswith("post:")})[:15]
        walks = {p: sorted(n.id for n in store.walk(p, upstream=False)) for p in posts}
        records = sorted({e.down for e in edges if e.kind == DERIVED_FROM})[:20]
        into = store.edges_into(records, DERIVED_FROM)
        assert {e.down for e in into} == set(records)
        assert any(len(found) > 3 for found in walks.values())
        parts = store._columnar.candidates(EDGES, [])[0]
        every = len(list(store.part_paths(EDGES)))
        read = []
        for edge in edges:  # a filter says yes to both ends of the edges its part holds
            for end in (edge.up, edge.down):
                chosen, _ = store._columnar.candidates(EDGES, [end])
                assert chosen
                read.append(len(chosen))
        assert parts == [] and min(read) < every
    # an edge filter of the earlier kind (upstream ends of looping edges only) is not used
    earlier = struct.pack("<4sIQ", b"LBF1", 16, 4096) + bytes(512)
    for bloom in sqlite_path(url).parent.glob(f"parts/{EDGES}/*{BLOOM_SUFFIX}"):
        bloom.write_bytes(earlier)
    with _opened(url) as store:
        assert {p: sorted(n.id for n in store.walk(p, upstream=False)) for p in posts} == walks
        assert store.edges_into(records, DERIVED_FROM) == into
        chosen, _ = store._columnar.candidates(EDGES, ["post:absent"])
        assert len(chosen) == len(list(store.part_paths(EDGES)))


def _walks_and_edges(
    store: LakeStore, nodes: list[str]
) -> dict[str, tuple[list[str], list[EdgeRow], list[EdgeRow], dict[str, int]]]:
    """What the reads of edges out of ``nodes`` answer."""
    return {
        node: (
            sorted(n.id for n in store.walk(node, upstream=False)),
            store.edges_of(node),
            store.edges_of(node, downstream_only=True),
            store.count_out_of([node], DERIVED_FROM),
        )
        for node in nodes
    }


def test_edges_are_kept_sorted_both_ways_and_a_lake_made_before_still_reads(
    tmp_path: Path,
) -> None:
    url = _random_lake(tmp_path, 7)
    with _opened(url) as store:
        by_up = store.part_paths(EDGES_UP)
        assert by_up and all(
            pq.read_table(p).column("up").to_pylist()
            == sorted(pq.read_table(p).column("up").to_pylist())
            for p in by_up
        )
        nodes = sorted({e.up for e in store.iter_rows(EDGES)})[:25]
        answers = _walks_and_edges(store, nodes)
        assert any(len(walk) > 3 for walk, *_ in answers.values())
    db = sqlite3.connect(sqlite_path(url))
    with db:  # the lake as one made before the copy was kept
        db.execute("DROP TABLE edges_up_kept")
        db.execute("DELETE FROM parts WHERE tbl = ?", (EDGES_UP,))
    db.close()
    with _opened(url) as store:
        assert store.part_paths(EDGES_UP) == []
        assert _walks_and_edges(store, nodes) == answers
        assert verify_ledger(store).ok


def test_verify_finds_a_copy_sorted_by_upstream_end_that_differs(tmp_path: Path) -> None:
    url = _random_lake(tmp_path, 8)
    with _opened(url) as store:
        assert verify_ledger(store).ok
        part = store.part_paths(EDGES_UP)[0]
    rows = pq.read_table(part)
    pq.write_table(rows.slice(1), part)  # one edge gone, and the part's digest made to match
    file = str(part.relative_to(sqlite_path(url).parent))
    db = sqlite3.connect(sqlite_path(url))
    with db:
        db.execute(
            "UPDATE parts SET rows = ?, bytes = ?, sha256 = ? WHERE file = ?",
            (rows.num_rows - 1, part.stat().st_size, file_digest(part), file),
        )
    db.close()
    with _opened(url) as store:
        report = verify_ledger(store)
        assert not report.ok
        assert any("sorted by upstream end" in p.detail for p in report.problems)
