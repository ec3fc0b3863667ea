"""Mutation-named bad-proof vectors (tests/vectors): each must raise exactly its named error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage import errors
from lineage.crypto.merkle.verify import verify_consistency, verify_inclusion

VECTORS = Path(__file__).parents[1] / "vectors"


def _load(kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((VECTORS / kind).glob("*.json"))
    assert len(files) > 10, f"no {kind} vectors: run tests/vectors/generate.py"
    return [(f.stem, json.loads(f.read_text())) for f in files]


def _check(expect: str | None, run: Any) -> None:
    if expect is None:
        run()
        return
    error_class = getattr(errors, expect)
    with pytest.raises(errors.ProofError) as caught:
        run()
    assert type(caught.value) is error_class, (
        f"raised {type(caught.value).__name__}: {caught.value}"
    )


@pytest.mark.parametrize(
    ("name", "vector"), _load("inclusion"), ids=lambda v: v if isinstance(v, str) else ""
)
def test_inclusion_vector(name: str, vector: dict[str, Any]) -> None:
    _check(
        vector["expect"],
        lambda: verify_inclusion(
            vector["index"],
            vector["size"],
            bytes.fromhex(vector["leaf_hash"]),
            [bytes.fromhex(h) for h in vector["proof"]],
            bytes.fromhex(vector["root"]),
        ),
    )


@pytest.mark.parametrize(
    ("name", "vector"), _load("consistency"), ids=lambda v: v if isinstance(v, str) else ""
)
def test_consistency_vector(name: str, vector: dict[str, Any]) -> None:
    _check(
        vector["expect"],
        lambda: verify_consistency(
            vector["size1"],
            vector["size2"],
            bytes.fromhex(vector["root1"]),
            bytes.fromhex(vector["root2"]),
            [bytes.fromhex(h) for h in vector["proof"]],
        ),
    )
