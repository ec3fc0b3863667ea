"""The ``supersedes`` attribute of shards and datasets: a new version names an older
version of the same kind, never itself, and nothing else carries it."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.errors import InputError
from lineage.model.graph import check_nodes

SHARD_ATTRS: dict[str, Any] = {"sha256": "0" * 64, "size": 1, "records": 1}


def test_a_new_shard_or_dataset_version_names_the_one_it_supersedes() -> None:
    """Valid version nodes are accepted as they are."""
    nodes = [
        ["Shard", "shard:a-r1", {**SHARD_ATTRS, "supersedes": "shard:a"}],
        ["Dataset", "ds:d-r1", {"version": "1-r1", "supersedes": "ds:d"}],
    ]
    assert check_nodes(nodes) == nodes


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (["Shard", "shard:a-r1", {**SHARD_ATTRS, "supersedes": "ds:d"}], "must name a Shard"),
        (["Dataset", "ds:d-r1", {"supersedes": "shard:a"}], "must name a Dataset"),
        (["Dataset", "ds:d-r1", {"supersedes": "ds:"}], "must name a Dataset"),
        (["Dataset", "ds:d", {"supersedes": "ds:d"}], "cannot supersede itself"),
        (["Model", "model:m", {"supersedes": "model:l"}], "Model has no attribute"),
        (["Shard", "shard:a-r1", {**SHARD_ATTRS, "supersedes": 3}], "must be a str"),
    ],
)
def test_a_version_that_names_no_older_version_of_its_kind_is_refused(
    node: list[Any], message: str
) -> None:
    """A statement whose node supersedes another kind, itself or nothing is refused."""
    with pytest.raises(InputError, match=message):
        check_nodes([node])
