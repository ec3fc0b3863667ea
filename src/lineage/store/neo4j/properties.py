"""Node attributes as Neo4j properties, and the attributes read back from them.

A graph node is ``(:Lineage:<Kind> {id, kind, entry, time_us, name, <attributes>})``:
each attribute is a property of its own name (``p.jurisdiction``, ``s.sha256``), so
Cypher filters on it (``MATCH (p:Post) WHERE p.jurisdiction = 'ES'``). The names cannot
collide: attributes are the fixed vocabulary of :data:`NODE_ATTRIBUTES` (appends refuse
any other name), and the import below fails if that vocabulary ever takes one of the
store's own property names (:data:`RESERVED`).

A value Neo4j cannot hold as a property as it is (anything but a string that encodes as
UTF-8 and a 64-bit integer, e.g. a nested object, a list, null, a float or a boolean), or
an attribute outside the vocabulary, goes into ``other_attrs``: a JSON object of those
attributes alone. Valid appends never need it; it keeps rows copied from another store
exact.

Readers get the attributes rebuilt from the properties (:func:`attrs_from`), and verify
compares exactly that with what the entries assert, so a property edited in Neo4j is
both what ``trace`` and ``check`` see and what ``verify`` reports. ``name`` is the
caption Neo4j Browser shows (it takes ``name`` first): the kind and a short id, derived,
not ledger data; verify checks it too (:func:`caption_differs`).

Stores made before attributes were properties keep them as one JSON string, ``attrs``:
they are read as they are (:func:`attrs_from` with ``legacy``) and take no appends.
"""

from __future__ import annotations

import json
from typing import Any

from lineage.errors import StoreError
from lineage.model.graph import ID_PREFIX, NODE_ATTRIBUTES
from lineage.model.rows import attrs_json

OTHER = "other_attrs"
"""The property holding, as a JSON object, the attributes that are not properties."""
LEGACY = "attrs"
"""The property of the attributes as one JSON string, in stores made before."""
CAPTION = "name"
RESERVED = frozenset({"id", "kind", "entry", "time_us", CAPTION, OTHER, LEGACY})
ATTRIBUTE_NAMES = frozenset(name for names in NODE_ATTRIBUTES.values() for name in names)
assert not ATTRIBUTE_NAMES & RESERVED, ATTRIBUTE_NAMES & RESERVED
_INT64 = range(-(1 << 63), 1 << 63)
_SHORT = 12
_KIND_NAME = {prefix[:-1]: kind.lower() for kind, prefix in ID_PREFIX.items()}


def caption(kind: str | None, node_id: str) -> str:
    """What Neo4j Browser shows on a node: its kind and short id (``post 3f2a9c1d…``);
    a node an edge names but no entry declares shows ``undeclared`` and its id's prefix."""
    prefix, _, body = node_id.partition(":")
    short = body if len(body) <= _SHORT else body[:8] + "…"
    if kind is None:
        return f"undeclared {_KIND_NAME.get(prefix, prefix)} {short}"
    return f"{kind.lower()} {short}"


def _representable(name: str, value: object) -> bool:
    if name not in ATTRIBUTE_NAMES:
        return False
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    return type(value) is int and value in _INT64


def node_properties(
    node_id: str, kind: str, attrs: str, entry: int, time_us: int
) -> dict[str, Any]:
    """Every property of a declared node, attributes as properties where they can be.

    Raises :class:`StoreError` for attributes that are not canonical JSON of an object
    (valid rows always are; only a row copied from an edited store can be otherwise)."""
    try:
        values = json.loads(attrs)
    except ValueError:
        values = None
    if not isinstance(values, dict) or attrs_json(values) != attrs:
        raise StoreError(f"node {node_id}: its attributes are not canonical JSON of an object")
    props: dict[str, Any] = {
        "id": node_id,
        "kind": kind,
        "entry": entry,
        "time_us": time_us,
        CAPTION: caption(kind, node_id),
    }
    other = {}
    for name, value in values.items():
        if _representable(name, value):
            props[name] = value
        else:
            other[name] = value
    if other:
        props[OTHER] = json.dumps(other, sort_keys=True, separators=(",", ":"))
    return props


def placeholder_properties(node_id: str) -> dict[str, Any]:
    """The properties of a node an edge names but no entry declares (yet)."""
    return {"id": node_id, CAPTION: caption(None, node_id)}


def _plain(value: object) -> str:
    """A property value JSON has no form for (a date, a point): a text no valid attribute
    equals, so verify finds it."""
    return f"<neo4j {type(value).__name__} {value}>"


def attrs_from(props: dict[str, Any], legacy: bool = False) -> str:
    """The attributes (canonical JSON) a node's properties hold, as readers and verify
    see them. Properties that disagree with ``other_attrs`` (or an ``other_attrs`` that is
    not a JSON object) give attributes that keep it, which no entry asserts."""
    if legacy:
        return str(props.get(LEGACY, "{}"))
    found = {name: value for name, value in props.items() if name in ATTRIBUTE_NAMES}
    other = props.get(OTHER)
    if other is not None:
        try:
            extra = json.loads(other) if isinstance(other, str) else None
        except ValueError:
            extra = None
        if isinstance(extra, dict) and not extra.keys() & found.keys():
            found.update(extra)
        else:
            found[OTHER] = other
    if not found:
        return "{}"
    return json.dumps(
        found, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def caption_differs(props: dict[str, Any]) -> bool:
    """Whether a declared node's ``name`` is other than its kind and short id."""
    return bool(props.get(CAPTION) != caption(props.get("kind"), str(props.get("id"))))
