"""Loops refused at append: within one append's edges, and through edges already stored."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.errors import InputError
from lineage.ledger import cycles
from lineage.ledger.cycles import closing_edge
from lineage.model.graph import DERIVED_FROM
from lineage.model.rows import EdgeRow


class _Stored:
    """The stored edges a loop check reads, in memory."""

    def __init__(self, edges: list[tuple[str, str]]) -> None:
        self.edges = [EdgeRow(up, down, DERIVED_FROM, n, 0) for n, (up, down) in enumerate(edges)]

    def count_out_of(self, nodes: Sequence[str], kind: str) -> dict[str, int]:
        wanted = set(nodes)
        found: dict[str, int] = {}
        for edge in self.edges:
            if edge.up in wanted:
                found[edge.up] = found.get(edge.up, 0) + 1
        return found

    def edges_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> list[EdgeRow]:
        wanted = set(nodes)
        return [edge for edge in self.edges if edge.down in wanted]


def _edges(pairs: list[tuple[str, str]], first: int = 100) -> list[EdgeRow]:
    return [EdgeRow(up, down, DERIVED_FROM, first + n, 0) for n, (up, down) in enumerate(pairs)]


def _has_loop(pairs: list[tuple[str, str]]) -> bool:
    """Plain reference: is any node upstream of itself?"""
    parents: dict[str, set[str]] = {}
    for up, down in pairs:
        parents.setdefault(down, set()).add(up)
    for start in parents:
        seen, frontier = set(), {start}
        while frontier:
            frontier = {p for node in frontier for p in parents.get(node, ())} - seen
            if start in frontier:
                return True
            seen |= frontier
    return False


def test_a_loop_within_one_append_is_found() -> None:
    batch = _edges(
        [("post:p", "rec:a"), ("rec:a", "rec:b"), ("rec:b", "rec:c"), ("rec:c", "rec:a")]
    )
    assert closing_edge(batch, _Stored([])) is not None  # type: ignore[arg-type]


def test_a_loop_through_stored_edges_is_found_and_a_chain_is_not() -> None:
    stored = _Stored([("post:p", "rec:a"), ("rec:a", "rec:b")])
    assert closing_edge(_edges([("rec:b", "rec:a")]), stored) is not None  # type: ignore[arg-type]
    assert closing_edge(_edges([("rec:b", "rec:c")]), stored) is None  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=14), st.integers(0, 14))
def test_the_check_agrees_with_a_plain_reference(pairs: list[tuple[int, int]], split: int) -> None:
    named = [(f"rec:{a}", f"rec:{b}") for a, b in pairs]
    stored, appended = named[:split], named[split:]
    if _has_loop(stored):
        return  # the store already holds a loop: not what append decides
    batch = _edges(appended)
    found = closing_edge(batch, _Stored(stored))  # type: ignore[arg-type]
    assert (found is not None) == _has_loop(named)
    if found is not None:  # the envelope named closes a loop: no later one is needed
        upto = [(e.up, e.down) for e in batch if e.entry <= found.entry]
        assert _has_loop(stored + upto)


def test_the_edge_named_is_the_one_that_closes_the_loop() -> None:
    """Entries 100-102 form a chain a <- b <- c; entry 103 closes it (a from c)."""
    batch = _edges(
        [("rec:a", "rec:b"), ("rec:b", "rec:c"), ("post:p", "rec:a"), ("rec:c", "rec:a")]
    )
    found = closing_edge(batch, _Stored([]))  # type: ignore[arg-type]
    assert found is not None and found.entry == 103
    stored = _Stored([("rec:a", "rec:b")])
    batch = _edges([("rec:c", "rec:a"), ("rec:b", "rec:c")])
    found = closing_edge(batch, stored)  # type: ignore[arg-type]
    assert found is not None and found.entry == 101


def test_a_walk_too_wide_to_finish_is_refused_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycles, "MAX_WALKED", 3)
    stored = _Stored([(f"rec:u{n}", "rec:b") for n in range(10)] + [("rec:a", "rec:x")])
    with pytest.raises(InputError, match="cannot rule out a loop through rec:a"):
        closing_edge(_edges([("rec:b", "rec:a")]), stored)  # type: ignore[arg-type]
