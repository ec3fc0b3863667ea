"""Loops in the lineage, refused at append where they can be seen.

Only two kinds of edge join nodes of one kind and so can close a loop: a record derived
from a record (``DERIVED_FROM``) and a model fine-tuned from a model (``FINETUNED_FROM``).
A new edge from ``up`` down to ``down`` closes a loop if ``down`` is already upstream of
``up``. That is possible only if something derives from ``down`` already (in the store,
or in the same append): for the records a pipeline makes, which are new each time, one
batched count answers it, and only the rare candidates are followed upstream.
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
    ups = {edge.up for edge in edges}
    downs = sorted({edge.down for edge in edges})
    derived_from = set(reads.count_out_of(downs, kind)) | (ups & set(downs))
    for edge in edges:
        if edge.down in derived_from and _upstream_of(edge.up, edge.down, kind, parents, reads):
            return edge
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
