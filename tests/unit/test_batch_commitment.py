"""Lineage/v2 batch commitments: the batch tree is an RFC 9162 tree over domain-separated
item leaves, every item's path verifies under the root and no other item does, and a
statement's items are opened only when they are exactly what it commits to."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.errors import BatchError, InputError
from lineage.model.batch import (
    ITEM_DOMAIN,
    artifact_subjects,
    batch_proof,
    commit,
    item_leaf,
    open_batch,
    tree_path,
    tree_root,
    verify_item,
)
from lineage.model.predicates import LINEAGE_V2
from lineage.model.statement import Step, make_statement

from support.merkle_reference import mth, path

T = datetime(2024, 5, 1, tzinfo=UTC)
_ID = st.text(alphabet="abcdef0123456789", min_size=1, max_size=12)
EDGES = st.lists(
    st.tuples(_ID, _ID).map(lambda p: ["DERIVED_FROM", f"rec:{p[0]}", f"post:{p[1]}"]),
    min_size=1,
    max_size=70,
    unique_by=lambda e: (e[1], e[2]),
)


@settings(max_examples=60, deadline=None)
@given(EDGES)
def test_every_item_path_verifies_and_no_other_item_does(edges: list[list[str]]) -> None:
    commitment, items = commit([], edges)
    encoded = [canonical_bytes(e) for e in edges]
    assert items.split(b"\n") == encoded
    assert commitment.root == mth([ITEM_DOMAIN + e for e in encoded])
    for position, edge in enumerate(encoded):
        item, hashes = batch_proof(items, position)
        assert item == edge
        assert hashes == path(position, [ITEM_DOMAIN + e for e in encoded])
        verify_item(item, position, len(encoded), hashes, commitment.root)
        for other, other_edge in enumerate(encoded):
            if other_edge != edge:
                with pytest.raises(InputError):
                    verify_item(other_edge, position, len(encoded), hashes, commitment.root)
            if other != position and len(encoded) > 1:
                with pytest.raises(InputError):
                    verify_item(edge, other, len(encoded), hashes, commitment.root)


def test_item_leaves_are_not_log_leaves() -> None:
    item = canonical_bytes(["DERIVED_FROM", "rec:a", "post:b"])
    assert item_leaf(item) != leaf_hash(item)
    assert item_leaf(item) == leaf_hash(b"lineage.dev/Lineage/v2 item\n" + item)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 100])
def test_tree_functions_match_the_rfc_definition(size: int) -> None:
    leaves = [bytes([n]) * 7 for n in range(size)]
    hashed = [leaf_hash(x) for x in leaves]
    assert tree_root(hashed) == mth(leaves)
    for index in range(size):
        assert tree_path(hashed, index) == path(index, leaves)


def _v2(nodes: list[list[Any]], edges: list[list[str]], *, root: bytes | None = None) -> Any:
    commitment, items = commit(nodes, edges)
    fields = commitment.to_json()
    if root is not None:
        fields["root"] = base64.b64encode(root).decode()
    subjects = artifact_subjects(nodes, commitment.root, "pack")
    statement = make_statement(subjects, LINEAGE_V2, Step("pack"), T, {"batch": fields})
    return statement, items


SHARD = ["Shard", "shard:s1", {"sha256": "ab" * 32, "size": 3, "records": 1}]
PACK = ["PACKED_INTO", "rec:r1", "shard:s1"]


def test_open_batch_returns_exactly_the_committed_items() -> None:
    statement, items = _v2([SHARD], [PACK])
    assert open_batch(statement, items) == ([SHARD], [PACK])
    assert statement.subjects == [{"name": "shard:s1", "digest": {"sha256": "ab" * 32}}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda items: None, "needs its items beside the envelope"),
        (lambda items: items + b"\n" + canonical_bytes(PACK), "holds 3 items"),
        (lambda items: items.replace(b"rec:r1", b"rec:r2"), "do not hash to the root"),
        (lambda items: items.replace(b'","', b'", "', 1), "canonical"),
        (lambda items: items.split(b"\n")[1] + b"\n" + items.split(b"\n")[0], r"items\[0\]"),
    ],
    ids=["missing", "extra item", "edited item", "not canonical", "reordered"],
)
def test_open_batch_refuses_items_that_are_not_the_committed_ones(
    change: Any, message: str
) -> None:
    statement, items = _v2([SHARD], [PACK])
    with pytest.raises(InputError, match=message):
        open_batch(statement, change(items))


def test_subjects_must_name_the_batch_artifacts() -> None:
    commitment, items = commit([SHARD], [PACK])
    wrong = [{"name": "shard:s1", "digest": {"sha256": "cd" * 32}}]
    statement = make_statement(wrong, LINEAGE_V2, Step("pack"), T, {"batch": commitment.to_json()})
    with pytest.raises(InputError, match="subjects are not the batch's artifacts"):
        open_batch(statement, items)


def test_a_batch_without_artifacts_is_named_by_its_root() -> None:
    statement, _ = _v2([], [PACK])
    commitment, _ = commit([], [PACK])
    assert statement.subjects == [
        {"name": "lineage-batch:pack", "digest": {"sha256": commitment.root.hex()}}
    ]


@pytest.mark.parametrize(
    "batch",
    [
        {"root": "AA==", "nodes": 0, "edges": 1},
        {"root": "A" * 43 + "=", "nodes": -1, "edges": 1},
        {"root": "A" * 43 + "=", "nodes": 0, "edges": 0},
        {"root": "A" * 43 + "=", "nodes": 0, "edges": True},
        {"root": "A" * 43 + "=", "nodes": 0},
    ],
)
def test_malformed_commitments_are_refused(batch: dict[str, Any]) -> None:
    statement = make_statement(
        [{"name": "lineage-batch:pack", "digest": {"sha256": "00" * 32}}],
        LINEAGE_V2,
        Step("pack"),
        T,
        {"batch": batch},
    )
    with pytest.raises(InputError, match=r"predicate\.batch"):
        open_batch(statement, canonical_bytes(PACK))


def test_item_problems_are_batch_errors() -> None:
    statement, items = _v2([SHARD], [PACK])
    with pytest.raises(BatchError):
        open_batch(statement, items.replace(b"rec:r1", b"rec:r2"))
