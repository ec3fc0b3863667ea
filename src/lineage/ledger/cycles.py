"""Loops in the lineage, refused at append where they can be seen.

Only two kinds of edge join nodes of one kind and so can close a loop: a record derived
from a record (``DERIVED_FROM``) and a model fine-tuned from a model (``FINETUNED_FROM``).
A loop that closes in one append is either made of that append's edges alone (found in
memory), or passes from one of its edges into an edge already stored: the new edge's
``down`` then already has something derived from it in the store. One batched count
finds those (for the records a pipeline makes, new each time, there are none), and only
they are followed upstream through the store. The edge reported is the one that closes
the loop: the loop's edge of this append with the latest entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise

from lineage.errors import InputError
from lineage.model.graph import DERIVED_FROM, FINETUNED_FROM
from lineage.model.rows import EdgeRow
from lineage.store.base import GraphReads

LOOPING_KINDS = (DERIVED_FROM, FINETUNED_FROM)
MAX_WALKED = 2_000_000
"""Nodes followed upstream for one candidate edge; past it the append is refused, since
a loop could no longer be ruled out."""

Pair = tuple[str, str]
"""An edge as (down, up)."""


def closing_edge(edges: Iterable[EdgeRow], reads: GraphReads) -> EdgeRow | None:
    """The edge of ``edges`` (one append's) that closes a loop with the others or with the
    edges ``reads`` sees (the latest-entry edge of this append on that loop), or None."""
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
    latest: dict[Pair, EdgeRow] = {}
    for edge in edges:
        parents[edge.down].add(edge.up)
        pair = (edge.down, edge.up)
        if pair not in latest or edge.entry > latest[pair].entry:
            latest[pair] = edge
    loop = _loop_in(parents)
    if loop is None:
        with_stored_children = set(reads.count_out_of(sorted(parents), kind))
        candidates = [edge for edge in edges if edge.down in with_stored_children]
        if candidates:
            # one walk up from every candidate at once; only a candidate whose down is
            # among those ancestors is followed on its own
            above = _ancestors(candidates, kind, parents, reads)
            candidates = [edge for edge in candidates if edge.down in above]
        paths = _paths_up([(edge.up, edge.down) for edge in candidates], kind, parents, reads)
        for edge, path in zip(candidates, paths, strict=True):
            if path is not None:
                loop = [(edge.down, edge.up), *path]
                break
    if loop is None:
        return None
    return max((latest[pair] for pair in loop if pair in latest), key=lambda e: e.entry)


def _loop_in(parents: dict[str, set[str]]) -> list[Pair] | None:
    """The edges of a loop of these edges alone, or None (iterative depth-first search,
    upward from every node)."""
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
                path = [entry[0] for entry in stack]
                cycle = path[path.index(step) :]
                return [*pairwise(cycle), (node, step)]
            elif step not in done and step in parents:
                on_path.add(step)
                stack.append((step, iter(sorted(parents[step]))))
    return None


def _ancestors(
    edges: list[EdgeRow], kind: str, parents: dict[str, set[str]], reads: GraphReads
) -> set[str]:
    """The upstream ends of ``edges`` and every node upstream of them through ``kind``
    edges, stored or of this append (a level at a time, one read each)."""
    seen = {edge.up for edge in edges}
    frontier = sorted(seen)
    while frontier:
        if len(seen) > MAX_WALKED:
            first = edges[0]
            raise InputError(
                f"cannot rule out a loop through {first.down}: more than {MAX_WALKED:,}"
                f" nodes are upstream of {first.up}"
                + (f" and {len(edges) - 1} other edges" if len(edges) > 1 else "")
            )
        found = {edge.up for edge in reads.edges_into(frontier, kind)}
        for node in frontier:
            found.update(parents.get(node, ()))
        frontier = sorted(found - seen)
        seen.update(frontier)
    return seen


def _paths_up(
    walks: list[Pair], kind: str, parents: dict[str, set[str]], reads: GraphReads
) -> list[list[Pair] | None]:
    """For each (start, target), the edges (down, up) of a path from ``start`` upstream
    to ``target`` through ``kind`` edges, stored or of this append, or None if there is
    none. The walks go a level at a time together, one read a level for all of them."""
    child_of: list[dict[str, str]] = [{start: start} for start, _ in walks]
    frontiers = [[start] for start, _ in walks]
    while True:
        live = [
            n for n, (_, target) in enumerate(walks) if frontiers[n] and target not in child_of[n]
        ]
        if not live:
            break
        if sum(len(child_of[n]) for n in live) > MAX_WALKED:
            start, target = walks[live[0]]
            raise InputError(
                f"cannot rule out a loop through {target}: more than {MAX_WALKED:,} nodes"
                f" are upstream of {start}"
                + (f" and {len(live) - 1} other nodes" if len(live) > 1 else "")
            )
        stored: dict[str, list[str]] = defaultdict(list)
        for edge in reads.edges_into(sorted({node for n in live for node in frontiers[n]}), kind):
            stored[edge.down].append(edge.up)
        for n in live:
            following: dict[str, str] = {}
            for node in frontiers[n]:
                for up in stored.get(node, ()):
                    following.setdefault(up, node)
            for node in frontiers[n]:
                for up in parents.get(node, ()):
                    following.setdefault(up, node)
            frontiers[n] = sorted(up for up in following if up not in child_of[n])
            for up in frontiers[n]:
                child_of[n][up] = following[up]
    return [_path(child_of[n], start, target) for n, (start, target) in enumerate(walks)]


def _path(child_of: dict[str, str], start: str, target: str) -> list[Pair] | None:
    """The path a walk from ``start`` found to ``target``, if it found one."""
    if target not in child_of:
        return None
    path: list[Pair] = []
    node = target
    while node != start:
        path.append((child_of[node], node))
        node = child_of[node]
    return path
