"""Projecting a Lineage/v2 batch that arrives with its items as columns.

The columns are only read once they are shown to be the signed items: their lines,
rebuilt here, must equal the stored items byte for byte, and those items must hash to
the root the statement signs. Each node and edge is then checked as
:func:`~lineage.model.graph.check_nodes` and :func:`~lineage.model.graph.check_edges`
check them, and the rows are the columns themselves. Anything that does not pass
returns None: the batch then takes the ordinary path, which parses every item and
names the first problem, so both paths accept and refuse exactly the same batches.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from lineage.crypto.canonical import parse_canonical
from lineage.errors import InputError
from lineage.model.batch import (
    MAX_ITEMS_BYTES,
    artifact_subjects,
    commitment_of,
    item_leaves,
    tree_root,
)
from lineage.model.graph import (
    DROPPABLE,
    DROPPED,
    EDGE_RULES,
    KIND_OF_PREFIX,
    REQUIRED_ATTRIBUTES,
    check_attributes,
)
from lineage.model.item_columns import ItemColumns
from lineage.model.rows import BulkRows
from lineage.model.statement import Statement

_BODIES = re.compile(r"(?:[A-Za-z0-9._:@/+=-]{1,200}\n)*\Z")
_CONTENT_ONLY = re.compile(r'\{"content":"[^"\\\x00-\x1f]{1,1000}"\}\Z')
_DIGEST_KINDS = frozenset({"Shard", "Dataset", "Model"})
_MAX_REASON = 200


def _kind_of(node_id: str) -> str | None:
    """The kind an id's prefix names (its body is checked in bulk by :func:`_bodies_valid`)."""
    prefix, colon, _ = node_id.partition(":")
    return KIND_OF_PREFIX.get(prefix + colon)


def _bodies_valid(ids: list[str]) -> bool:
    """Whether every id's body (after its prefix) is 1-200 characters of the id charset,
    checked in one pass over all of them."""
    bodies = [node_id.partition(":")[2] for node_id in ids]
    return _BODIES.match("\n".join(bodies) + "\n") is not None


@lru_cache(maxsize=65536)
def _attributes_valid(kind: str, attrs: str) -> bool:
    if attrs == "{}":
        return kind not in REQUIRED_ATTRIBUTES
    if kind != "Post" and _CONTENT_ONLY.match(attrs):
        return kind == "Record"
    try:
        check_attributes(kind, parse_canonical(attrs.encode(), "attrs"), "attrs")
    except (InputError, UnicodeEncodeError):
        return False
    return True


def _nodes_valid(columns: ItemColumns) -> bool:
    for kind, node_id, attrs in columns.nodes:
        if _kind_of(node_id) != kind or not _attributes_valid(kind, attrs):
            return False
    return _bodies_valid([node_id for _, node_id, _ in columns.nodes])


def _edges_valid(columns: ItemColumns) -> bool:
    rules = EDGE_RULES
    ids = []
    for kind, first, second in columns.edges:
        first_kind = _kind_of(first)
        ids.append(first)
        if kind == DROPPED:
            if first_kind not in DROPPABLE or not 1 <= len(second) <= _MAX_REASON:
                return False
            continue
        rule = rules.get(kind)
        if rule is None or first_kind not in rule[0] or _kind_of(second) not in rule[1]:
            return False
        ids.append(second)
    return _bodies_valid(ids)


def _artifacts(columns: ItemColumns) -> list[list[Any]]:
    return [
        [kind, node_id, json.loads(attrs)]
        for kind, node_id, attrs in columns.nodes
        if kind in _DIGEST_KINDS
    ]


def bulk_rows(
    entry: int, time_us: int, statement: Statement, items: bytes, columns: ItemColumns
) -> BulkRows | None:
    """The rows of a Lineage/v2 statement whose items arrive with their columns, or None
    if the columns are not exactly its valid signed items (take the ordinary path)."""
    try:
        commitment = commitment_of(statement)
    except InputError:
        return None
    if commitment.counts != (len(columns.nodes), len(columns.edges)):
        return None
    if len(items) > MAX_ITEMS_BYTES:
        return None
    try:
        lines = columns.lines()
    except UnicodeEncodeError:
        return None
    if b"\n".join(lines) != items:
        return None
    if not _nodes_valid(columns) or not _edges_valid(columns):
        return None
    if tree_root(item_leaves(lines, commitment.tag)) != commitment.root:
        return None
    subjects = artifact_subjects(_artifacts(columns), commitment.root, statement.step.name)
    if statement.subjects != subjects:
        return None
    return _rows(entry, time_us, columns)


def _rows(entry: int, time_us: int, columns: ItemColumns) -> BulkRows:
    ups: list[str] = []
    downs: list[str] = []
    kinds: list[str] = []
    dropped: list[str] = []
    reasons: list[str] = []
    rules = EDGE_RULES
    for kind, first, second in columns.edges:
        if kind == DROPPED:
            dropped.append(first)
            reasons.append(second)
            continue
        if rules[kind][2]:
            ups.append(first)
            downs.append(second)
        else:
            ups.append(second)
            downs.append(first)
        kinds.append(kind)
    nodes = columns.nodes
    return BulkRows(
        entry,
        time_us,
        [node_id for _, node_id, _ in nodes],
        [kind for kind, _, _ in nodes],
        [attrs for _, _, attrs in nodes],
        ups,
        downs,
        kinds,
        dropped,
        reasons,
    )
