"""Loops in the lineage, refused at append where they can be seen.

Only two kinds of edge join nodes of one kind and so can close a loop: a record derived
from a record (``DERIVED_FROM``) and a model fine-tuned from a model (``FINETUNED_FROM``).
A loop that closes in one append is either made of that append's edges alone (found in
memory), or passes from one of its edges into an edge already stored: the new edge's
``down`` then already has something derived from it in the store. One batched count
finds those (for the records a pipeline makes, new each time, there are none), and only
they are followed upstream through the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from lineage.model.graph import DERIVED_FROM, FINETUNED_FROM
from lineage.model.rows import EdgeRow
from lineage.store.base import GraphReads

LOOPING_KINDS = (DERIVED_FROM, FINETUNED_FROM)
MAX_WALKED = 100_000
"""Nodes followed upstream for one candidate edge before giving up (no refusal)."""


def closing_edge(edges: Iterable[EdgeRow], reads: GraphReads) -> EdgeRow | None:
    """The first edge of ``edges`` (one append's, in entry order) that closes a loop with
    the others or with the edges ``reads`` sees, or None."""
    batch = list(edges)
    for kind in LOOPING_KINDS:
        own = [edge for edge in batch if edge.kind == kind]
        if not own:
            continue
        for edge in own:
            if edge.up == edge.down:
                return edge
        found = _closing(own, kind, reads)
        if found is not None:
            return found
    return None


def _closing(edges: list[EdgeRow], kind: str, reads: GraphReads) -> EdgeRow | None:
    parents: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        parents[edge.down].add(edge.up)
    looping = _loop_in(parents)
    if looping is not None:
        return next(e for e in edges if e.down == looping[0] and e.up == looping[1])
    with_stored_children = set(reads.count_out_of(sorted(parents), kind))
    for edge in edges:
        if edge.down in with_stored_children and _upstream_of(
            edge.up, edge.down, kind, parents, reads
        ):
            return edge
    return None


def _loop_in(parents: dict[str, set[str]]) -> tuple[str, str] | None:
    """An edge (down, up) on a loop of these edges alone, or None (iterative depth-first
    search, upward from every node)."""
    done: set[str] = set()
    for start in parents:
        if start in done:
            continue
        on_path = {start}
        stack = [(start, iter(sorted(parents[start])))]
        while stack:
            node, ups = stack[-1]
            step = next(ups, None)
            if step is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
            elif step in on_path:
                return node, step
            elif step not in done and step in parents:
                on_path.add(step)
                stack.append((step, iter(sorted(parents[step]))))
    return None


def _upstream_of(
    start: str, target: str, kind: str, parents: dict[str, set[str]], reads: GraphReads
) -> bool:
    """Whether ``target`` is ``start`` or upstream of it through ``kind`` edges."""
    seen = {start}
    frontier = [start]
    while frontier and len(seen) < MAX_WALKED:
        if target in frontier:
            return True
        stored = reads.edges_into(frontier, kind)
        following: set[str] = {edge.up for edge in stored}
        for node in frontier:
            following.update(parents.get(node, ()))
        frontier = sorted(following - seen)
        seen.update(frontier)
    return target in frontier
