"""Small reads every query shares: a node that must exist, the authors of posts, which
subjects are erased, and edges described with the step and signer that asserted them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lineage.errors import InputError
from lineage.model.graph import AUTHORED, ID_PREFIX, POST, SUBJECT, kind_of
from lineage.model.rows import EdgeRow, NodeRow
from lineage.store.base import Store


def require_node(store: Store, node_id: str, as_of_us: int | None = None) -> NodeRow:
    """The node ``node_id``; :class:`InputError` if no entry (by ``as_of_us``) declares it."""
    kind_of(node_id)
    row = store.node(node_id)
    if row is None or (as_of_us is not None and row.time_us > as_of_us):
        raise InputError(
            f"no node {node_id} in the ledger" + (" at that time" if row is not None else "")
        )
    return row


def authors(store: Store, posts: Sequence[str]) -> dict[str, str]:
    """post -> the subject that authored it (as the graph says; of several, the least id)."""
    found: dict[str, str] = {}
    for edge in store.edges_into(posts, AUTHORED):
        found.setdefault(edge.down, edge.up)
    return found


def erased_nodes(store: Store, nodes: Sequence[str]) -> set[str]:
    """The subjects among ``nodes``, and the posts among them whose author, that have been
    erased: their key is gone, so nothing links their pseudonyms to a person any more."""
    posts = [n for n in nodes if n.startswith(ID_PREFIX[POST])]
    by_post = authors(store, posts)
    subjects = {n for n in nodes if n.startswith(ID_PREFIX[SUBJECT])} | set(by_post.values())
    gone = subjects - store.identities().live_subjects(subjects)
    return {n for n in nodes if n in gone or by_post.get(n) in gone}


@dataclass(frozen=True)
class Hop:
    """An edge with the step (name, version, run) and the signer of the entry asserting it."""

    edge: EdgeRow
    step: str
    version: str
    run: str
    signer: str

    def to_json(self) -> dict[str, Any]:
        """The hop as a JSON object, its ends named by the data flow."""
        return {
            "kind": self.edge.kind,
            "upstream": self.edge.up,
            "downstream": self.edge.down,
            "step": self.step,
            "version": self.version,
            "run": self.run,
            "signer": self.signer,
            "entry": self.edge.entry,
        }


def describe(store: Store, edges: list[EdgeRow]) -> list[Hop]:
    """Each edge with the step and signer of the entry that asserted it."""
    infos = store.statements(e.entry for e in edges)
    names = {s.keyid: s.name for s in store.signers()}
    hops = []
    for edge in edges:
        info = infos.get(edge.entry)
        hops.append(
            Hop(
                edge,
                info.step if info else "?",
                info.version if info else "",
                info.run if info else "",
                names.get(info.keyid, "?") if info else "?",
            )
        )
    return hops
