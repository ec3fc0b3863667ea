"""The projection verify recomputes: of each key, the row of the earliest entry wins,
whether an entry's rows came as row tuples or as a batch of columns, and the rows read
back (or written to Parquet for a store that compares in bulk) are in key order."""

from __future__ import annotations

import pyarrow.parquet as pq

from lineage.ledger.expected import ExpectedProjection, report_differences
from lineage.model.rows import BulkRows, EdgeRow, GraphBatch, NodeRow
from lineage.store.base import RowDifference


def _bulk(entry: int, node_ids: list[str], attrs: str) -> BulkRows:
    n = len(node_ids)
    return BulkRows(
        entry, entry * 10, node_ids, ["Record"] * n, [attrs] * n, ["post:p"], ["rec:b"],
        ["DERIVED_FROM"], [], [],
    )  # fmt: skip


def test_the_earliest_entry_wins_whatever_form_its_rows_came_in() -> None:
    later = GraphBatch.empty()
    later.nodes.append(NodeRow("rec:b", "Record", '{"v":5}', 5, 50))
    later.nodes.append(NodeRow("rec:a", "Record", '{"v":5}', 5, 50))
    later.bulk.append(_bulk(3, ["rec:b", "rec:c"], '{"v":3}'))
    with ExpectedProjection() as expected:
        expected.add(later)
        nodes = list(expected.rows("nodes"))
        assert [(n.id, n.entry) for n in nodes] == [("rec:a", 5), ("rec:b", 3), ("rec:c", 3)]
        assert list(expected.rows("edges")) == [EdgeRow("post:p", "rec:b", "DERIVED_FROM", 3, 30)]
        path = expected.to_parquet("nodes")
        assert pq.read_table(path).column("id").to_pylist() == ["rec:a", "rec:b", "rec:c"]
        assert expected.written["nodes"] == 3


def test_differences_a_store_finds_are_reported_as_row_by_row_comparison_does() -> None:
    row = NodeRow("rec:a", "Record", "{}", 4, 40)
    found: list[tuple[str, str]] = []
    extra = report_differences(
        "graph node",
        iter([RowDifference("missing", row), RowDifference("extra", row._replace(id="rec:z"))]),
        lambda kind, _, detail: found.append((kind, detail)),
    )
    assert extra == 1
    assert found == [
        ("projection-missing", "graph node rec:a: asserted by entry 4 but missing from the store"),
        ("projection-extra", "graph node rec:z: stored but asserted by no entry"),
    ]
