"""From a Lineage statement to the rows of the graph projection.

The same function serves append (write the rows) and verify (recompute them and
compare), so the projection is defined exactly once.
"""

from __future__ import annotations

from datetime import datetime

from lineage.errors import InputError
from lineage.graph.model import DROPPED, LINEAGE_PREDICATE, Edge, Node, parse_edges, parse_nodes
from lineage.graph.rows import DropRow, EdgeRow, GraphBatch, NodeRow, StatementRow, attrs_json
from lineage.statement import Statement


def time_us(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000 + value.microsecond


def statement_row(entry: int, keyid: str, statement: Statement) -> StatementRow:
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


def lineage_content(statement: Statement) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges a Lineage statement asserts; every edge end must be known."""
    nodes = parse_nodes(statement.predicate.get("nodes", []))
    edges = parse_edges(statement.predicate.get("edges", []))
    if not nodes and not edges:
        raise InputError("a Lineage statement must assert nodes or edges", field="predicate.nodes")
    return nodes, edges


def project(entry: int, keyid: str, statement: Statement, batch: GraphBatch) -> None:
    """Add the rows ``statement`` (entry ``entry``) asserts to ``batch``."""
    batch.statements.append(statement_row(entry, keyid, statement))
    if statement.predicate_type != LINEAGE_PREDICATE:
        return
    when = time_us(statement.time)
    nodes, edges = lineage_content(statement)
    for node in nodes:
        batch.nodes.append(NodeRow(node.id, node.kind, attrs_json(node.attrs), entry, when))
    for edge in edges:
        if edge.kind == DROPPED:
            batch.drops.append(DropRow(edge.src, edge.dst, entry, when))
        else:
            batch.edges.append(EdgeRow(edge.up, edge.down, edge.kind, entry, when))
