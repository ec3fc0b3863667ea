"""Admission of a batch that arrives with its items as columns: the columns are read only
when they are exactly the signed items, valid; the rows are then those the ordinary path
projects from the items. Otherwise the ordinary path decides (and names the problem)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lineage.errors import InputError
from lineage.ledger.projection import project
from lineage.model.batch import artifact_subjects, commit_lines
from lineage.model.item_columns import ItemColumns, split_items
from lineage.model.predicates import LINEAGE_V2
from lineage.model.rows import GraphBatch
from lineage.model.statement import Statement, Step, make_statement
from lineage.model.times import parse_time

POST = "post:" + "ab" * 12
RECORD = "rec:" + "cd" * 12
SHARD = "shard:s-1"
COLUMNS = ItemColumns(
    nodes=[
        (
            "Post",
            POST,
            '{"created":"2024-05-01T00:00:00Z","jurisdiction":"US",'
            '"platform":"facebook","surface":"feed","visibility":"public"}',
        ),
        ("Record", RECORD, '{"content":"' + "ef" * 16 + '"}'),
        ("Shard", SHARD, '{"records":1,"sha256":"' + "aa" * 32 + '","size":10}'),
    ],
    edges=[
        ("DERIVED_FROM", RECORD, POST),
        ("PACKED_INTO", RECORD, SHARD),
        ("DROPPED", POST, 'not "public"\n'),
    ],
)


def _statement(columns: ItemColumns) -> tuple[Statement, bytes]:
    commitment, items = commit_lines(LINEAGE_V2, columns.sections())
    artifacts = [[k, i, json.loads(a)] for k, i, a in columns.nodes if k == "Shard"]
    statement = make_statement(
        artifact_subjects(artifacts, commitment.root, "pack"),
        LINEAGE_V2,
        Step("pack", "1", "r"),
        parse_time("2024-06-01T00:00:00Z"),
        {"batch": commitment.to_json()},
    )
    return statement, items


def _projected(statement: Statement, items: bytes, columns: ItemColumns | None) -> GraphBatch:
    batch = GraphBatch.empty()
    project(7, "key", statement, batch, items, columns)
    return batch


def test_columns_that_are_the_signed_items_are_projected_as_the_items_are() -> None:
    statement, items = _statement(COLUMNS)
    bulk = _projected(statement, items, COLUMNS)
    ordinary = _projected(statement, items, None)
    assert len(bulk.bulk) == 1 and not bulk.nodes and not bulk.edges
    assert bulk.expand() == ordinary


@pytest.mark.parametrize(
    "change",
    [
        lambda c: replace(c, edges=c.edges[:-1]),  # fewer items than signed
        lambda c: replace(c, edges=[*c.edges[:-1], ("DROPPED", POST, "other reason")]),
        lambda c: replace(c, nodes=[c.nodes[1], c.nodes[0], c.nodes[2]]),  # order
    ],
)
def test_columns_that_differ_from_the_signed_items_are_not_read(change: object) -> None:
    statement, items = _statement(COLUMNS)
    batch = _projected(statement, items, change(COLUMNS))  # type: ignore[operator]
    assert not batch.bulk
    assert batch == _projected(statement, items, None)


def test_an_invalid_item_is_refused_with_its_position_as_without_columns() -> None:
    bad = replace(COLUMNS, edges=[*COLUMNS.edges, ("PACKED_INTO", POST, SHARD)])
    statement, items = _statement(bad)
    with pytest.raises(InputError, match=r"items\[6\]: PACKED_INTO cannot link Post to Shard"):
        _projected(statement, items, bad)
    with pytest.raises(InputError, match=r"items\[6\]: PACKED_INTO cannot link Post to Shard"):
        _projected(statement, items, None)


def test_an_id_that_would_need_an_escape_is_refused_not_stored() -> None:
    quoted = 'rec:a"b'
    bad = replace(COLUMNS, edges=[*COLUMNS.edges, ("DERIVED_FROM", quoted, POST)])
    statement, items = _statement(bad)  # its line is not JSON
    with pytest.raises(InputError, match="items: is not JSON"):
        _projected(statement, items, bad)


@pytest.mark.parametrize(
    "attrs",
    [
        '{"content": "' + "ef" * 16 + '"}',  # spacing
        '{"size":10,"records":1,"sha256":"' + "aa" * 32 + '"}',  # key order
        '{"content":"\\u0065f"}',  # an escape canonical JSON does not use
    ],
)
def test_attributes_not_in_canonical_form_are_refused_as_without_columns(attrs: str) -> None:
    kind = "Shard" if "size" in attrs else "Record"
    node_id = SHARD if kind == "Shard" else RECORD
    nodes = [n if n[1] != node_id else (kind, node_id, attrs) for n in COLUMNS.nodes]
    bad = replace(COLUMNS, nodes=nodes)
    statement, items = _statement(bad)
    with pytest.raises(InputError, match="canonical form"):
        _projected(statement, items, None)
    with pytest.raises(InputError, match="canonical form"):
        _projected(statement, items, bad)


def test_stored_items_split_back_into_the_columns_that_made_them() -> None:
    plain = replace(COLUMNS, edges=[*COLUMNS.edges[:-1], ("DROPPED", POST, "not public")])
    _, items = _statement(plain)
    assert split_items(items, len(plain.nodes), len(plain.edges)) == plain
    assert split_items(items, len(plain.nodes) + 1, len(plain.edges) - 1) is None  # counts
    _, escaped = _statement(COLUMNS)  # a drop reason with a quote and a newline
    assert split_items(escaped, len(COLUMNS.nodes), len(COLUMNS.edges)) is None
    assert split_items(b"\xff", 1, 0) is None


def test_a_verified_batch_is_read_as_columns_and_gives_the_ordinary_rows() -> None:
    plain = replace(COLUMNS, edges=[*COLUMNS.edges[:-1], ("DROPPED", POST, "not public")])
    statement, items = _statement(plain)
    split = split_items(items, len(plain.nodes), len(plain.edges))
    bulk = _projected(statement, items, split)
    assert len(bulk.bulk) == 1
    assert bulk.expand() == _projected(statement, items, None)
