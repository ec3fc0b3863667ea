"""Raw platform ids to pseudonymous nodes, checked against what the ledger signed.

The subject key tables live outside the hashed ledger, so they can be edited: a lookup
row moved to another person's key would make ``erase --author A`` shred B's key, or
``impact --post`` answer for someone else's post. Every resolution is therefore checked
against the ledger: a post or record id must derive, under the key found, a node the
ledger declares; an author's key must derive the subject node the ledger declares and
the ``binding`` recorded with it (an HMAC of the raw author id under that key).
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.errors import KeyTableError
from lineage.model.graph import POST, RECORD, SUBJECT
from lineage.model.identity import AUTHOR, POST_ID, RECORD_ID, Identities, Subject
from lineage.store.base import Store

_NODE_KIND = {AUTHOR: SUBJECT, POST_ID: POST, RECORD_ID: RECORD}


@dataclass(frozen=True)
class Resolved:
    """A raw id's subject and node id; ``checked`` is False only for a subject the ledger
    declared before subjects carried a binding (nothing to check the key against)."""

    subject: Subject
    node_id: str
    checked: bool


def resolve_checked(store: Store, kind: str, raw: str) -> Resolved | None:
    """The subject and node of the raw ``kind`` id ``raw`` (``author``, ``post`` or
    ``record``), or None if the key tables hold no such id; :class:`KeyTableError` if
    what they hold does not match the ledger."""
    found = Identities(store.identities()).resolve(kind, raw)
    if found is None:
        return None
    subject, node_id = found
    node = store.node(node_id)
    what = f"{kind} {raw[:80]!r}"
    if node is None or node.kind != _NODE_KIND[kind]:
        raise KeyTableError(
            f"the key tables map {what} to a key whose pseudonym {node_id} the ledger does"
            " not declare: they were changed outside lineage; run lineage verify"
        )
    if kind != AUTHOR:
        return Resolved(subject, node_id, True)
    binding = node.attributes().get("binding")
    if binding is None:
        return Resolved(subject, node_id, False)
    if binding != subject.author_binding(raw):
        raise KeyTableError(
            f"the key tables map {what} to another subject's key ({node_id} is bound to"
            " someone else): they were changed outside lineage; run lineage verify"
        )
    return Resolved(subject, node_id, True)
