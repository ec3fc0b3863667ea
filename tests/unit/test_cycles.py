"""Loops refused at append: within one append's edges, and through edges already stored."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

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
    found = closing_edge(_edges(appended), _Stored(stored))  # type: ignore[arg-type]
    assert (found is not None) == _has_loop(named)
