"""Everything upstream of an artifact, read whole for an export: the nodes ``trace`` walks
(authors left out), the lineage edges between them, the step runs that asserted them and
the keys that signed those runs, and which origins' authors have been erased."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lineage.errors import InputError
from lineage.model.graph import POST, SUBJECT
from lineage.model.rows import EdgeRow, NodeRow
from lineage.model.signer import Signer
from lineage.query.nodes import erased_nodes
from lineage.query.runs import EDGES_INTO, StepRun, edges_into_nodes, step_runs
from lineage.query.trace import Trace, TraceSummary
from lineage.store.base import Store

MAX_UPSTREAM_NODES = 400_000
"""Upstream nodes an export holds at most unless asked for more: a PROV document takes
about 9 KB of memory per node (21 KB as PROV-O), so this default stays under 4 GB (9 GB)
and still holds the 10^5-post demo model (318,226 nodes)."""
LARGEST_UPSTREAM_NODES = 100_000_000
_PROGRESS_STEP = 10_000
_ERASED_BATCH = 10_000


@dataclass
class Upstream:
    """An artifact's upstream graph as the ledger stood at ``as_of_us``."""

    root: NodeRow
    as_of_us: int | None
    nodes: list[NodeRow]
    """Every node upstream of the artifact, the artifact first, in walk order (authors
    are not among them; a node an edge names but no entry declares has kind ``""``)."""
    edges: list[EdgeRow]
    """The lineage edges leading into those nodes (authorship left out)."""
    runs: list[StepRun]
    """The step runs whose statements declared the nodes or asserted the edges."""
    run_of_entry: dict[int, int]
    """Each of those statements' entry -> its run's index in ``runs``."""
    signers: dict[str, Signer]
    """The registered keys that signed those runs, by key id."""
    erased: set[str]
    """The origins whose author has been erased."""
    summary: TraceSummary

    @property
    def origins(self) -> list[NodeRow]:
        """The posts among the nodes: the artifact's origins."""
        return [row for row in self.nodes if row.kind == POST]


def read_upstream(
    store: Store,
    artifact: str,
    as_of_us: int | None = None,
    *,
    max_nodes: int = MAX_UPSTREAM_NODES,
    progress: Callable[[int], None] | None = None,
) -> Upstream:
    """The upstream graph of ``artifact`` (a shard, dataset, model or record), walked as
    ``trace`` walks it; :class:`InputError` past ``max_nodes`` nodes (refused, never cut
    short). ``progress`` is called with the number of nodes read since its last call."""
    if not 1 <= max_nodes <= LARGEST_UPSTREAM_NODES:
        raise InputError(f"must be 1-{LARGEST_UPSTREAM_NODES:,}", field="--max-nodes")
    nodes: list[NodeRow] = []

    def observe(row: NodeRow) -> None:
        if row.kind == SUBJECT:
            return
        nodes.append(row)
        if len(nodes) > max_nodes:
            raise InputError(
                f"{artifact} has more than {max_nodes:,} upstream nodes; raise --max-nodes"
                " to export them all",
                field="--max-nodes",
            )
        if progress is not None and len(nodes) % _PROGRESS_STEP == 0:
            progress(_PROGRESS_STEP)

    trace = Trace(store, artifact, as_of_us, observe=observe)
    summary = trace.finish()
    by_kind: dict[str, list[str]] = {kind: [] for kind in EDGES_INTO}
    for row in nodes:
        if row.kind in by_kind:
            by_kind[row.kind].append(row.id)
    edges = [edge for _, batch in edges_into_nodes(store, by_kind, as_of_us) for edge in batch]
    runs, run_of_entry = step_runs(
        store, [row.entry for row in nodes if row.kind] + [edge.entry for edge in edges]
    )
    keyids = {keyid for run in runs for keyid in run.keyids}
    signers = {s.keyid: s for s in store.signers() if s.keyid in keyids}
    posts = [row.id for row in nodes if row.kind == POST]
    erased: set[str] = set()
    for start in range(0, len(posts), _ERASED_BATCH):
        erased |= erased_nodes(store, posts[start : start + _ERASED_BATCH])
    return Upstream(
        trace.root, as_of_us, nodes, edges, runs, run_of_entry, signers, erased, summary
    )
