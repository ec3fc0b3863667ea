"""A shard, dataset or model is named without its type prefix: ``model:base`` as a model's
name would make the node ``model:model:base``, so it is refused with what to do."""

from __future__ import annotations

import pytest

from lineage.errors import InputError
from lineage.model.graph import DATASET, ID_PREFIX, MODEL, SHARD, make_id


@pytest.mark.parametrize("kind", [SHARD, DATASET, MODEL])
def test_a_name_that_starts_with_its_type_prefix_is_refused(kind: str) -> None:
    prefix = ID_PREFIX[kind]
    with pytest.raises(InputError, match=f"drop the {prefix} prefix") as refused:
        make_id(kind, f"{prefix}base")
    assert "(the name is 'base')" in str(refused.value)


@pytest.mark.parametrize("kind", [SHARD, DATASET, MODEL])
def test_a_plain_name_gets_its_type_prefix(kind: str) -> None:
    assert make_id(kind, "base-2024.1") == f"{ID_PREFIX[kind]}base-2024.1"
