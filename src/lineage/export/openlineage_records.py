"""Record-level lineage of a step run, for the ``lineage_run`` facet: every node, edge and
request its statements assert, read from the signed entries (a Lineage/v2 entry's items
checked against the batch root its statement signs), in parts small enough for one event
each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lineage.crypto.dsse import parse_envelope
from lineage.errors import LineageError, VerificationError
from lineage.ledger.projection import is_lineage, lineage_content, request_content
from lineage.model.openlineage_facet import MAX_RECORD_BYTES, MAX_RECORD_ITEMS
from lineage.model.statement import parse_statement
from lineage.store.base import Store

Item = tuple[str, Any]
"""(section, item): ``nodes`` (an object), ``edges`` or ``requests`` (a triple)."""


def run_items(store: Store, entries: list[int]) -> Iterator[Item]:
    """The nodes, edges and requests the statements of ``entries`` assert, in order."""
    for entry in entries:
        stored = store.entry(entry)
        if stored is None:
            raise VerificationError(f"entry {entry} is missing from the log")
        try:
            statement = parse_statement(parse_envelope(stored[1]).payload)
            items = store.batch(entry)
            if is_lineage(statement):
                nodes, edges = lineage_content(statement, items)
                for kind, node_id, attrs in nodes:
                    yield "nodes", {"kind": kind, "id": node_id, "attrs": attrs}
                for edge in edges:
                    yield "edges", list(edge)
            else:
                for request in request_content(statement, items):
                    yield "requests", list(request)
        except LineageError as exc:
            raise VerificationError(f"entry {entry} does not parse ({exc})") from exc


def record_parts(
    items: Iterator[Item], max_items: int = MAX_RECORD_ITEMS, max_bytes: int = MAX_RECORD_BYTES
) -> list[dict[str, Any]]:
    """``items`` in parts of at most ``max_items`` items and about ``max_bytes`` of JSON
    (an item is never split; a run with none is one empty part), numbered ``part`` of
    ``parts``."""
    parts: list[dict[str, Any]] = []
    current = _empty()
    count = size = 0
    for section, item in items:
        length = len(json.dumps(item, separators=(",", ":"))) + 1
        if count and (count >= max_items or size + length > max_bytes):
            parts.append(current)
            current, count, size = _empty(), 0, 0
        current[section].append(item)
        count += 1
        size += length
    parts.append(current)
    for number, part in enumerate(parts, 1):
        part["part"], part["parts"] = number, len(parts)
    return parts


def _empty() -> dict[str, Any]:
    return {"nodes": [], "edges": [], "requests": []}
