"""One node as the ledger holds it: its attributes, edges, drops and requests, and the
entries asserting them with inclusion proofs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.ledger.evidence import InclusionProof
from lineage.ledger.log import Ledger
from lineage.model.graph import EDGE_RULES, POST, SUBJECT, VERSIONED
from lineage.model.rows import DropRow, NodeRow, RequestRow, StatementRow
from lineage.query.impact import request_json
from lineage.query.nodes import Hop, describe, erased_nodes, require_node
from lineage.query.versions import versions


@dataclass
class Shown:
    """One node with its edges, drops and requests, and the entries asserting them."""

    node: NodeRow
    edges: list[Hop]
    drops: list[DropRow]
    requests: list[RequestRow]
    entries: dict[int, StatementRow]
    proofs: dict[int, InclusionProof]
    erased: bool = False
    edges_total: int = 0
    """All the node's edges; ``edges`` lists the first of them (by kind, upstream,
    downstream), the same on every store."""
    superseded_by: list[str] | None = None
    """A shard's or dataset's new versions (the nodes whose ``supersedes`` names it);
    None for the other kinds (left out of the JSON)."""

    def to_json(self) -> dict[str, Any]:
        """The node as a JSON object (the output of ``lineage show --json``)."""
        return {
            "id": self.node.id,
            "kind": self.node.kind,
            "attributes": self.node.attributes(),
            **({} if self.superseded_by is None else {"superseded_by": self.superseded_by}),
            "erased": self.erased,
            "asserted_by": self.node.entry,
            "edges": [h.to_json() for h in self.edges],
            "edges_listed": {"listed": len(self.edges), "of": self.edges_total},
            "dropped": [{"reason": d.reason, "entry": d.entry} for d in self.drops],
            "requests": [request_json(r) for r in self.requests],
            "entries": {
                str(entry): {
                    "step": s.step,
                    "version": s.version,
                    "run": s.run,
                    "keyid": s.keyid,
                    "proof": self.proofs[entry].to_json(),
                }
                for entry, s in sorted(self.entries.items())
            },
        }


def show(ledger: Ledger, node_id: str, max_edges: int = 1000) -> Shown:
    """A node, its edges and drops, and the entries asserting them with inclusion proofs."""
    store = ledger.store
    row = require_node(store, node_id)
    edges = store.edges_of(node_id, limit=max_edges)
    drops = store.drops_of([node_id])
    requests = store.requests_of([node_id])
    entries = {row.entry, *(e.entry for e in edges), *(d.entry for d in drops)}
    entries.update(r.entry for r in requests)
    infos = store.statements(entries)
    proofs = {entry: ledger.inclusion_proof(entry) for entry in sorted(entries)}
    gone = bool(erased_nodes(store, [node_id])) if row.kind in (SUBJECT, POST) else False
    total = sum(
        store.count_into([node_id], kind).get(node_id, 0)
        + store.count_out_of([node_id], kind).get(node_id, 0)
        for kind in EDGE_RULES
    )
    hops = describe(store, edges)
    newer = None
    if row.kind in VERSIONED:
        newer = list(versions(store, [row.kind]).superseded_by.get(node_id, []))
    return Shown(row, hops, drops, requests, infos, proofs, gone, total, newer)
