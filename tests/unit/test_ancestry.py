"""The embedded store's ancestry index against brute force, whatever order edges arrive in."""

from __future__ import annotations

import random
import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.model.rows import EdgeRow, GraphBatch
from lineage.store.sqlite import graph as sqlite_graph
from lineage.store.sqlite.schema import STORE_SCHEMA, statements_of


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for statement in statements_of(*STORE_SCHEMA):
        db.execute(statement)
    return db


def _random_dag(rng: random.Random) -> list[tuple[str, str]]:
    """(record, parent) pairs: records derive from posts or earlier records, some from
    several parents, some from ids nothing declares."""
    posts = [f"post:p{n}" for n in range(rng.randint(1, 6))]
    records: list[str] = []
    pairs = []
    for n in range(rng.randint(1, 25)):
        record = f"rec:r{n}"
        for parent in rng.sample(posts + records, min(len(posts + records), rng.randint(1, 3))):
            pairs.append((record, parent))
        if rng.random() < 0.1:
            pairs.append((record, f"rec:missing{n}"))
        records.append(record)
    return pairs


def _reachable(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    parents: dict[str, set[str]] = {}
    for record, parent in pairs:
        parents.setdefault(record, set()).add(parent)
    found = set()
    for record in parents:
        stack, seen = [record], set()
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        found |= {(record, p) for p in seen if p.startswith("post:")}
    return found


def _index(
    rng: random.Random, pairs: list[tuple[str, str]], entry_of: dict[tuple[str, str], int]
) -> list[tuple[str, str, str]]:
    """The ancestry of ``pairs`` written in random batches, in the order given."""
    db = _db()
    position = 0
    while position < len(pairs):
        size = rng.randint(1, 6)
        batch = GraphBatch.empty()
        for record, parent in pairs[position : position + size]:
            batch.edges.append(
                EdgeRow(parent, record, "DERIVED_FROM", entry_of[(record, parent)], 0)
            )
        sqlite_graph.write_batch(db, batch)
        position += size
    waiting = db.execute("SELECT parent, record FROM ancestry_waiting").fetchall()
    assert set(waiting) == _expected_waiting(pairs), (
        "records wait exactly for parents with no origin"
    )
    return sorted(db.execute("SELECT record, origin, path FROM ancestry").fetchall())


def _expected_waiting(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(parent, record) for each record derived from a record with no origin at all:
    what a check must report as a gap, and nothing else."""
    has_origin = {record for record, _ in _reachable(pairs)}
    return {
        (parent, record)
        for record, parent in pairs
        if not parent.startswith("post:") and parent not in has_origin
    }


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_ancestry_matches_reachability_in_any_arrival_order(seed: int) -> None:
    rng = random.Random(seed)
    pairs = _random_dag(rng)
    rng.shuffle(pairs)
    entry_of = {pair: n for n, pair in enumerate(pairs, 1)}
    rows = _index(rng, pairs, entry_of)
    assert {(r, o) for r, o, _ in rows} == _reachable(pairs)
    # the same edges in another order (as copy writes them: by key) give the same index
    assert _index(rng, sorted(pairs), entry_of) == rows
    by_entry = {entry: pair for pair, entry in entry_of.items()}
    for record, origin, path in rows:
        # the path is a real chain of edges from the origin down to the record
        node = origin
        for entry in map(int, path.split()):
            child, parent = by_entry[entry]
            assert parent == node
            node = child
        assert node == record
