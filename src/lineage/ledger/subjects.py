"""Raw platform ids to pseudonymous nodes, checked against what the ledger signed.

The subject key tables live outside the hashed ledger, so they can be edited: a lookup
row moved to another person's key would make ``erase --author A`` shred B's key, or
``impact --post`` answer for someone else's post. Every resolution is therefore checked
against the signed log, not the editable projection: a post or record id must derive,
under the key found, a node that the entry declaring it (proven included in the latest
checkpoint) declares; an author's key must derive the subject node such an entry
declares, with the ``binding`` it signed (an HMAC of the raw author id under that key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.dsse import parse_envelope
from lineage.errors import KeyTableError, LineageError, VerificationError
from lineage.ledger.log import Ledger
from lineage.ledger.projection import is_lineage, lineage_content
from lineage.model.batch import proven_item
from lineage.model.graph import POST, RECORD, SUBJECT
from lineage.model.identity import AUTHOR, POST_ID, RECORD_ID, Identities, Subject
from lineage.model.predicates import LINEAGE_V2
from lineage.model.statement import parse_statement

_NODE_KIND = {AUTHOR: SUBJECT, POST_ID: POST, RECORD_ID: RECORD}


@dataclass(frozen=True)
class Resolved:
    """A raw id's subject and node id; ``checked`` is False only for a subject the ledger
    declared before subjects carried a binding (nothing to check the key against)."""

    subject: Subject
    node_id: str
    checked: bool


def signed_attributes(ledger: Ledger, node_id: str, kind: str) -> dict[str, Any] | None:
    """The attributes with which the log declares node ``node_id`` of ``kind``, read from
    the signed entry that declared it (proven in the latest checkpoint, and a v2 entry's
    items proven against the batch root it signs); None if the log
    declares no such node."""
    node = ledger.store.node(node_id)
    if node is None or node.kind != kind:
        return None
    body = ledger.proven_entry(node.entry)
    try:
        statement = parse_statement(parse_envelope(body).payload)
        if statement.predicate_type == LINEAGE_V2:
            prefix = canonical_bytes([kind, node_id])[:-1] + b","
            item = proven_item(statement, ledger.store.batch(node.entry), prefix)
            return dict(item[2]) if item is not None else None
        if not is_lineage(statement):
            return None
        declared, _ = lineage_content(statement)
    except LineageError as exc:
        raise VerificationError(f"entry {node.entry} does not parse ({exc})") from exc
    for declared_kind, declared_id, attrs in declared:
        if declared_id == node_id and declared_kind == kind:
            return dict(attrs)
    return None


def resolve_checked(ledger: Ledger, kind: str, raw: str) -> Resolved | None:
    """The subject and node of the raw ``kind`` id ``raw`` (``author``, ``post`` or
    ``record``), or None if the key tables hold no such id; :class:`KeyTableError` if
    what they hold does not match the signed log."""
    found = Identities(ledger.store.identities()).resolve(kind, raw)
    if found is None:
        return None
    subject, node_id = found
    attrs = signed_attributes(ledger, node_id, _NODE_KIND[kind])
    what = f"{kind} {raw[:80]!r}"
    if attrs is None:
        raise KeyTableError(
            f"the key tables map {what} to a key whose pseudonym {node_id} the ledger does"
            " not declare: they were changed outside lineage; run lineage verify"
        )
    if kind != AUTHOR:
        return Resolved(subject, node_id, True)
    binding = attrs.get("binding")
    if binding is None:
        return Resolved(subject, node_id, False)
    if binding != subject.author_binding(raw):
        raise KeyTableError(
            f"the key tables map {what} to another subject's key ({node_id} is bound to"
            " someone else): they were changed outside lineage; run lineage verify"
        )
    return Resolved(subject, node_id, True)
