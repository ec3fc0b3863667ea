"""Node and edge kinds of the lineage graph, and the Lineage/v1 predicate that carries them.

A Lineage statement carries a batch of nodes and edges made by one step::

    "predicate": {
      "step": {"name": "pii-redact", "version": "2.1", "run": "2025-06-01"},
      "time": "2025-06-01T10:00:00Z",
      "nodes": [["Record", "rec:9f…", {"content": "c2f1…"}], ...],
      "edges": [["DERIVED_FROM", "rec:9f…", "rec:41…"], ["DROPPED", "post:77…", "eu-pause"], ...]
    }

Edges are written ``[kind, src, dst]`` in the direction ARCHITECTURE.md names them
(``DERIVED_FROM`` points from the record to what it came from); ``DROPPED`` is
``[kind, item, reason]``. Data flows the other way for some kinds; :data:`FLOW`
says which end is upstream, so traversals need not care.
"""

from __future__ import annotations

import re
from typing import Any

from lineage.errors import InputError
from lineage.model.predicates import LINEAGE
from lineage.model.times import parse_time

LINEAGE_PREDICATE = LINEAGE

POST, SUBJECT, RECORD, SHARD, DATASET, MODEL = (
    "Post",
    "Subject",
    "Record",
    "Shard",
    "Dataset",
    "Model",
)
ID_PREFIX = {
    POST: "post:",
    SUBJECT: "subject:",
    RECORD: "rec:",
    SHARD: "shard:",
    DATASET: "ds:",
    MODEL: "model:",
}
KIND_OF_PREFIX = {prefix: kind for kind, prefix in ID_PREFIX.items()}

AUTHORED, DERIVED_FROM, DROPPED = "AUTHORED", "DERIVED_FROM", "DROPPED"
PACKED_INTO, PART_OF, TRAINED_ON, FINETUNED_FROM = (
    "PACKED_INTO",
    "PART_OF",
    "TRAINED_ON",
    "FINETUNED_FROM",
)

# kind -> (allowed src kinds, allowed dst kinds, True if data flows src -> dst)
EDGE_RULES: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {
    AUTHORED: (frozenset({SUBJECT}), frozenset({POST}), True),
    DERIVED_FROM: (frozenset({RECORD}), frozenset({POST, RECORD}), False),
    PACKED_INTO: (frozenset({RECORD}), frozenset({SHARD}), True),
    PART_OF: (frozenset({SHARD}), frozenset({DATASET}), True),
    TRAINED_ON: (frozenset({MODEL}), frozenset({DATASET, SHARD}), False),
    FINETUNED_FROM: (frozenset({MODEL}), frozenset({MODEL}), False),
}
DROPPABLE = frozenset({POST, RECORD})


def flow_ends(kind: str, a: str, b: str) -> tuple[str, str]:
    """The (upstream, downstream) ends of an edge ``[kind, a, b]`` as its statement
    writes it; the swap is its own inverse, so ``[kind, *flow_ends(kind, up, down)]`` is
    the edge as written again."""
    return (a, b) if EDGE_RULES[kind][2] else (b, a)


# Attributes each node kind may carry, with their JSON types.
_STR, _INT = (str,), (int,)
NODE_ATTRIBUTES: dict[str, dict[str, tuple[type, ...]]] = {
    POST: {
        "platform": _STR,
        "surface": _STR,
        "visibility": _STR,
        "created": _STR,
        "jurisdiction": _STR,
        "content": _STR,
    },
    SUBJECT: {"age": _STR, "binding": _STR},
    RECORD: {"content": _STR},
    SHARD: {"sha256": _STR, "size": _INT, "records": _INT, "uri": _STR, "supersedes": _STR},
    DATASET: {
        "version": _STR,
        "description": _STR,
        "manifest_sha256": _STR,
        "supersedes": _STR,
    },
    MODEL: {"description": _STR, "checkpoint_sha256": _STR},
}
SUPERSEDES = "supersedes"
"""The attribute of a new version of a shard or dataset that names the version it
replaces (a node of the same kind). It is not an edge: traversals (trace, impact,
check) never follow it, so what reached the old version does not reach the new one
through it (:mod:`lineage.query.versions` reads it back both ways)."""
VERSIONED = frozenset({SHARD, DATASET})
TIME_ATTRIBUTES: dict[str, tuple[str, ...]] = {POST: ("created",)}
"""Attributes that are RFC 3339 times."""
REQUIRED_ATTRIBUTES: dict[str, frozenset[str]] = {
    POST: frozenset({"platform", "surface", "visibility", "created", "jurisdiction"}),
    SHARD: frozenset({"sha256", "size", "records"}),
}
MAX_NODES_PER_STATEMENT = 200_000
MAX_EDGES_PER_STATEMENT = 200_000
_ID_BODY = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}\Z")
MAX_ATTR_LENGTH = 1000


_KIND_OF_NAME = {prefix[:-1]: kind for prefix, kind in KIND_OF_PREFIX.items()}


def kind_of(node_id: str) -> str:
    """The node kind named by ``node_id``'s prefix; raise InputError if it is not a node id."""
    prefix, _, body = node_id.partition(":")
    kind = _KIND_OF_NAME.get(prefix)
    if kind is None or not _ID_BODY.match(body):
        raise InputError(
            f"{node_id[:80]!r} is not a node id (post:…, rec:…, shard:…, ds:…, model:…, subject:…)"
        )
    return kind


def make_id(kind: str, name: str) -> str:
    """The graph id of the ``kind`` node called ``name``; raise InputError if invalid, or
    if ``name`` already starts with the kind's prefix (``model:base`` as a model's name
    would make the node ``model:model:base``)."""
    prefix = ID_PREFIX[kind]
    if name.startswith(prefix):
        raise InputError(
            f"{name[:80]!r} is a {kind} id, not a name: drop the {prefix} prefix"
            f" (the name is {name[len(prefix) : len(prefix) + 80]!r})"
        )
    node_id = prefix + name
    kind_of(node_id)
    return node_id


def check_attributes(kind: str, attrs: object, where: str) -> dict[str, Any]:
    """``attrs`` if they are valid attributes of a ``kind`` node; else :class:`InputError`."""
    if not isinstance(attrs, dict):
        raise InputError("attributes must be an object", field=where)
    allowed = NODE_ATTRIBUTES[kind]
    for name, value in attrs.items():
        types = allowed.get(name)
        if types is None:
            raise InputError(f"{kind} has no attribute {name!r}", field=f"{where}.{name}")
        if not isinstance(value, types) or isinstance(value, bool):
            raise InputError(f"must be a {types[0].__name__}", field=f"{where}.{name}")
        if isinstance(value, str) and len(value) > MAX_ATTR_LENGTH:
            raise InputError(f"is longer than {MAX_ATTR_LENGTH}", field=f"{where}.{name}")
    missing = REQUIRED_ATTRIBUTES.get(kind, frozenset()) - set(attrs)
    if missing:
        raise InputError(f"{kind} needs {', '.join(sorted(missing))}", field=where)
    for name in TIME_ATTRIBUTES.get(kind, ()):
        if name in attrs:
            parse_time(attrs[name], f"{where}.{name}")
    if SUPERSEDES in attrs:
        prefix = ID_PREFIX[kind]
        old = attrs[SUPERSEDES]
        if not old.startswith(prefix) or not _ID_BODY.match(old[len(prefix) :]):
            raise InputError(f"must name a {kind} ({prefix}…)", field=f"{where}.{SUPERSEDES}")
    return attrs


def check_nodes(raw: object, field: str = "predicate.nodes", first: int = 0) -> list[list[Any]]:
    """``raw`` if it is a valid list of ``[kind, id, attributes]`` nodes (errors name
    ``field[first + position]``)."""
    if not isinstance(raw, list) or len(raw) > MAX_NODES_PER_STATEMENT:
        raise InputError(f"must be a list of at most {MAX_NODES_PER_STATEMENT} nodes", field=field)
    for position, item in enumerate(raw):
        if type(item) is not list or len(item) != 3:
            raise InputError("must be [kind, id, attributes]", field=f"{field}[{first + position}]")
        kind, node_id, attrs = item
        if type(node_id) is not str or kind_of(node_id) != kind:
            raise InputError(
                f"id {str(node_id)[:80]!r} is not a {kind} id", field=f"{field}[{first + position}]"
            )
        if attrs or kind in REQUIRED_ATTRIBUTES or type(attrs) is not dict:
            check_attributes(kind, attrs, f"{field}[{first + position}]")
            if attrs.get(SUPERSEDES) == node_id:
                raise InputError(
                    "a node cannot supersede itself", field=f"{field}[{first + position}]"
                )
    return raw


def check_edges(raw: object, field: str = "predicate.edges", first: int = 0) -> list[list[str]]:
    """``raw`` if it is a valid list of ``[kind, src, dst]`` edges (``dst``: a drop's
    reason; errors name ``field[first + position]``)."""
    if not isinstance(raw, list) or len(raw) > MAX_EDGES_PER_STATEMENT:
        raise InputError(f"must be a list of at most {MAX_EDGES_PER_STATEMENT} edges", field=field)
    kinds, body_ok, rules = _KIND_OF_NAME, _ID_BODY.match, EDGE_RULES
    for position, item in enumerate(raw):
        if type(item) is not list or len(item) != 3:
            raise InputError(
                "must be [kind, src, dst] strings", field=f"{field}[{first + position}]"
            )
        kind, src, dst = item
        if type(kind) is not str or type(src) is not str or type(dst) is not str:
            raise InputError(
                "must be [kind, src, dst] strings", field=f"{field}[{first + position}]"
            )
        src_prefix, _, src_body = src.partition(":")
        src_kind = kinds.get(src_prefix)
        if src_kind is None or not body_ok(src_body):
            kind_of(src)
        if kind == DROPPED:
            if src_kind not in DROPPABLE:
                raise InputError(
                    "only posts and records can be dropped", field=f"{field}[{first + position}]"
                )
            if not dst or len(dst) > 200:
                raise InputError(
                    "a drop needs a reason of 1-200 characters",
                    field=f"{field}[{first + position}]",
                )
        else:
            rule = rules.get(kind)
            if rule is None:
                raise InputError(
                    f"unknown edge kind {kind!r}", field=f"{field}[{first + position}]"
                )
            dst_prefix, _, dst_body = dst.partition(":")
            dst_kind = kinds.get(dst_prefix)
            if dst_kind is None or not body_ok(dst_body):
                kind_of(dst)
            if src_kind not in rule[0] or dst_kind not in rule[1]:
                raise InputError(
                    f"{kind} cannot link {src_kind} to {dst_kind}",
                    field=f"{field}[{first + position}]",
                )
    return raw
