"""From what a user types to a node id: a typed id (``post:…``, ``model:…``) as it is, or a
raw platform id of a post, an author or a record, through the identity tables."""

from __future__ import annotations

from lineage.errors import InputError
from lineage.ledger.log import Ledger
from lineage.ledger.subjects import resolve_checked
from lineage.model.graph import ID_PREFIX, KIND_OF_PREFIX, POST
from lineage.model.identity import AUTHOR, POST_ID, RECORD_ID

_WHAT = {AUTHOR: "author", POST_ID: "post", RECORD_ID: "record"}


def resolve_raw(ledger: Ledger, kind: str, raw: str) -> str:
    """The node id of the raw ``kind`` id ``raw`` (``author``, ``post`` or ``record``),
    checked against the ledger (:func:`lineage.ledger.subjects.resolve_checked`)."""
    found = resolve_checked(ledger, kind, raw)
    if found is None:
        why = "or erased" if kind == AUTHOR else "or its author was erased"
        raise InputError(f"no {_WHAT[kind]} {raw[:80]!r} in the ledger ({why})")
    return found.node_id


def resolve(
    ledger: Ledger,
    node_id: str | None = None,
    *,
    post: str | None = None,
    author: str | None = None,
    record: str | None = None,
) -> str:
    """The node named by exactly one of a node id, a platform post id, a platform author
    id or a pipeline record id."""
    given = [v for v in (node_id, post, author, record) if v]
    if len(given) != 1:
        raise InputError("give one node ID, or one of --post, --author, --record")
    if node_id:
        return node_id if _is_node_id(node_id) else resolve_any_raw(ledger, node_id)
    if author:
        return resolve_raw(ledger, AUTHOR, author)
    if post:
        return resolve_raw(ledger, POST_ID, post)
    assert record is not None
    return resolve_raw(ledger, RECORD_ID, record)


def _is_node_id(text: str) -> bool:
    prefix, colon, _ = text.partition(":")
    return bool(colon) and prefix + colon in KIND_OF_PREFIX


def resolve_any_raw(ledger: Ledger, raw: str) -> str:
    """The node of a raw platform id given where a node id is expected: the post, author
    or record it is (a raw id of two kinds at once is refused: say which with --post,
    --author or --record)."""
    found = {}
    for kind in (POST_ID, AUTHOR, RECORD_ID):
        resolved = resolve_checked(ledger, kind, raw)
        if resolved is not None:
            found[kind] = resolved.node_id
    if len(found) > 1:
        kinds = " and ".join(_WHAT[kind] for kind in found)
        raise InputError(
            f"{raw[:80]!r} is the raw id of a {kinds}: say which with --{kinds.split()[0]}"
        )
    if not found:
        raise InputError(
            f"no node {raw[:80]!r} in the ledger: node ids start with a kind (post:, rec:,"
            " subject:, shard:, ds:, model:), and it is no raw post, author or record id"
            " either (lineage search TEXT finds both)"
        )
    return next(iter(found.values()))


def resolve_post(ledger: Ledger, post: str) -> str:
    """A post's node id from its id (``post:…``, as it is) or its platform id."""
    return post if post.startswith(ID_PREFIX[POST]) else resolve_raw(ledger, POST_ID, post)
