"""From a Lineage statement to the rows of the graph projection.

The same function serves append (write the rows) and verify (recompute them and
compare), so the projection is defined exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lineage.errors import BatchError, InputError
from lineage.ledger.bulk_projection import bulk_rows
from lineage.model.batch import Items, is_v2, open_batch, open_sections
from lineage.model.graph import (
    DROPPED,
    EDGE_RULES,
    LINEAGE_PREDICATE,
    check_edges,
    check_nodes,
)
from lineage.model.item_columns import ItemColumns
from lineage.model.predicates import LINEAGE_V2, REQUEST_V2
from lineage.model.requests import REQUEST_PREDICATE, check_requests
from lineage.model.rows import (
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    RequestRow,
    StatementRow,
    attrs_json,
)
from lineage.model.statement import Statement
from lineage.model.times import parse_time


def time_us(value: datetime) -> int:
    """``value`` as integer microseconds since the Unix epoch (the projection's time unit)."""
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def statement_row(entry: int, keyid: str, statement: Statement) -> StatementRow:
    """The statements-table row of ``statement``, stored as entry ``entry`` signed by ``keyid``."""
    step = statement.step
    return StatementRow(
        entry,
        statement.predicate_type,
        step.name,
        step.version,
        step.run,
        keyid,
        time_us(statement.time),
    )


def is_lineage(statement: Statement) -> bool:
    """Whether ``statement`` asserts graph nodes and edges (Lineage/v1 or v2)."""
    return statement.predicate_type in (LINEAGE_PREDICATE, LINEAGE_V2)


def lineage_content(statement: Statement, items: bytes | None = None) -> Items:
    """The nodes and edges a Lineage statement asserts, validated: a v1 statement's from
    its predicate, a v2 statement's from ``items`` (checked against its commitment)."""
    if statement.predicate_type == LINEAGE_V2:
        return open_batch(statement, items)
    nodes = check_nodes(statement.predicate.get("nodes", []))
    edges = check_edges(statement.predicate.get("edges", []))
    if not nodes and not edges:
        raise InputError("a Lineage statement must assert nodes or edges", field="predicate.nodes")
    return nodes, edges


def request_content(statement: Statement, items: bytes | None = None) -> list[list[str]]:
    """The requests a Request statement records, validated: a v1 statement's from its
    predicate, a v2 statement's from ``items`` (checked against its commitment)."""
    if statement.predicate_type == REQUEST_V2:
        (requests,) = open_sections(statement, items)
        return requests
    return check_requests(statement.predicate.get("requests"))


def project(
    entry: int,
    keyid: str,
    statement: Statement,
    batch: GraphBatch,
    items: bytes | None = None,
    columns: ItemColumns | None = None,
) -> None:
    """Add the rows ``statement`` (entry ``entry``, with batch ``items`` if Lineage/v2,
    and those items as ``columns`` if the columnar pipeline made them) asserts to
    ``batch``."""
    if items is not None and not is_v2(statement):
        raise BatchError("batch items beside a statement that commits to none")
    batch.statements.append(statement_row(entry, keyid, statement))
    if columns is not None and items is not None and statement.predicate_type == LINEAGE_V2:
        bulk = bulk_rows(entry, time_us(statement.time), statement, items, columns)
        if bulk is not None:
            batch.bulk.append(bulk)
            return
    if is_lineage(statement):
        nodes, edges = lineage_content(statement, items)
        _rows(entry, time_us(statement.time), nodes, edges, batch)
    elif statement.predicate_type in (REQUEST_PREDICATE, REQUEST_V2):
        when = time_us(statement.time)
        for kind, target, at in request_content(statement, items):
            batch.requests.append(RequestRow(target, kind, time_us(parse_time(at)), entry, when))


def _rows(
    entry: int, when: int, nodes: list[list[Any]], edges: list[list[str]], batch: GraphBatch
) -> None:
    node_rows, edge_rows, drop_rows = batch.nodes, batch.edges, batch.drops
    for kind, node_id, attrs in nodes:
        node_rows.append(NodeRow(node_id, kind, attrs_json(attrs), entry, when))
    for kind, src, dst in edges:
        if kind == DROPPED:
            drop_rows.append(DropRow(src, dst, entry, when))
        elif EDGE_RULES[kind][2]:
            edge_rows.append(EdgeRow(src, dst, kind, entry, when))
        else:
            edge_rows.append(EdgeRow(dst, src, kind, entry, when))
