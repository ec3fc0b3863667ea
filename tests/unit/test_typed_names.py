"""A shard, dataset or model is named without its type prefix: ``model:base`` as a model's
name would make the node ``model:model:base``, so it is refused with what to do."""

from __future__ import annotations

import pytest

from lineage.crypto.keys import check_key_name
from lineage.errors import InputError
from lineage.model.graph import DATASET, ID_PREFIX, MODEL, SHARD, kind_of, make_id


@pytest.mark.parametrize("kind", [SHARD, DATASET, MODEL])
def test_a_name_that_starts_with_its_type_prefix_is_refused(kind: str) -> None:
    prefix = ID_PREFIX[kind]
    with pytest.raises(InputError, match=f"drop the {prefix} prefix") as refused:
        make_id(kind, f"{prefix}base")
    assert "(the name is 'base')" in str(refused.value)


@pytest.mark.parametrize("kind", [SHARD, DATASET, MODEL])
def test_a_plain_name_gets_its_type_prefix(kind: str) -> None:
    assert make_id(kind, "base-2024.1") == f"{ID_PREFIX[kind]}base-2024.1"


@pytest.mark.parametrize("name", ["admin\n", "admin\r\n", "\nadmin"])
def test_a_key_name_with_a_line_break_is_refused(name: str) -> None:
    with pytest.raises(InputError):
        check_key_name(name)


@pytest.mark.parametrize("node_id", ["ds:base\n", "model:m\n", "post:abc\n"])
def test_a_node_id_with_a_trailing_newline_is_refused(node_id: str) -> None:
    with pytest.raises(InputError, match="is not a node id"):
        kind_of(node_id)
    with pytest.raises(InputError):
        make_id(kind_of(node_id.strip()), node_id.split(":", 1)[1])
