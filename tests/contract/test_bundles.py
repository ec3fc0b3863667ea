"""Evidence bundles on each store: a post's path to a model is proven offline, discloses
nothing of the batch-mates, and every broken field class is named by the first check it
fails."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.keys import KeyDirectory
from lineage.crypto.note import verifier_key
from lineage.errors import InputError
from lineage.evidence.build import path_bundle
from lineage.evidence.format import read_bundle
from lineage.evidence.verify import verify_bundle
from lineage.ledger.log import Ledger

from support.bundles import MUTATIONS, flip_b64, mutated
from support.graph_fixtures import ids
from support.ledgers import LedgerEnv

ARTIFACT = "model:model-a-ft"


def check(bundle: dict[str, Any], **kwargs: Any) -> Any:
    return verify_bundle(read_bundle(canonical_bytes(bundle)), **kwargs)


@pytest.fixture
def bundle(graph: LedgerEnv) -> dict[str, Any]:
    return path_bundle(graph.ledger, ids(graph)["fb:1"], ARTIFACT)


def test_a_path_bundle_is_proven_offline(graph: LedgerEnv, bundle: dict[str, Any]) -> None:
    vkey = verifier_key(graph.ledger.origin, graph.ledger.log_public_key)
    result = check(bundle, log_key=vkey)
    assert result.proven, result.failure
    assert result.checkpoint.size == graph.ledger.size()
    kinds = [json.loads(item["item"])[0] for item in bundle["items"]]
    assert kinds == [
        "Post",
        "DERIVED_FROM",
        "DERIVED_FROM",
        "DERIVED_FROM",
        "PACKED_INTO",
        "PART_OF",
        "TRAINED_ON",
        "FINETUNED_FROM",
    ]


def test_a_one_post_bundle_discloses_no_batch_mate(
    graph: LedgerEnv, bundle: dict[str, Any]
) -> None:
    data = canonical_bytes(bundle)
    on_path = {json.loads(item["item"])[1] for item in bundle["items"]} | {
        json.loads(item["item"])[2]
        for item in bundle["items"]
        if isinstance(json.loads(item["item"])[2], str)
    }
    mates = set()
    for entry in {item["entry"] for item in bundle["items"]}:
        stored = graph.ledger.store.batch(entry)
        assert stored is not None
        for line in stored.split(b"\n"):
            mates.update(token for token in re.findall(rb"(?:post|rec|subject):[0-9a-f]+", line))
    mates = {m.decode() for m in mates} - on_path
    assert mates, "the fixture's batches hold other records"
    leaked = sorted(m for m in mates if m.encode() in data)
    assert leaked == []


@pytest.mark.parametrize("field_class", sorted(MUTATIONS))
def test_each_broken_field_class_is_named(bundle: dict[str, Any], field_class: str) -> None:
    broken, kind, where = mutated(bundle, field_class)
    result = check(broken)
    assert result.failure is not None, field_class
    assert (result.failure.kind, result.failure.where) == (kind, where), result.failure


def test_another_log_key_is_refused(tmp_path: Path, bundle: dict[str, Any]) -> None:
    other = KeyDirectory(tmp_path / "other").create("other")
    result = check(bundle, log_key=verifier_key("elsewhere", other.public))
    assert result.failure is not None and result.failure.kind == "verifier-key"


def test_a_checkpoint_of_another_ledger_is_refused(tmp_path: Path, bundle: dict[str, Any]) -> None:
    key = KeyDirectory(tmp_path / "b-keys").create("admin")
    other = Ledger.create(f"sqlite:///{tmp_path / 'b.db'}", key, origin=bundle["log"]["origin"])
    try:
        forged = dict(bundle, log=dict(bundle["log"], checkpoint=other.latest_checkpoint()))
        result = check(forged)
        assert result.failure is not None and result.failure.kind == "checkpoint"
        forged["log"]["verifierKey"] = verifier_key(other.origin, other.log_public_key)
        result = check(forged)
        assert result.failure is not None
        assert (result.failure.kind, result.failure.where) == ("authorisation", "entry 0")
    finally:
        other.close()


def test_since_a_kept_checkpoint(graph: LedgerEnv) -> None:
    post = ids(graph)["fb:1"]
    kept_size = 3
    kept = graph.ledger.store.checkpoint_at(kept_size)
    assert kept is not None
    bundle = path_bundle(graph.ledger, post, ARTIFACT, since=kept)
    result = check(bundle, kept=kept)
    assert result.proven and result.consistent_with == kept_size
    without = path_bundle(graph.ledger, post, ARTIFACT)
    refused = check(without, kept=kept)
    assert refused.failure is not None and refused.failure.kind == "consistency"
    bundle["consistency"]["hashes"][0] = flip_b64(bundle["consistency"]["hashes"][0])
    broken = check(bundle, kept=kept)
    assert broken.failure is not None and broken.failure.kind == "consistency"


def test_a_path_that_does_not_exist_is_not_bundled(graph: LedgerEnv) -> None:
    with pytest.raises(InputError, match="does not derive from"):
        path_bundle(graph.ledger, ids(graph)["fb:2"], ARTIFACT)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "invalid bundle"),
        (b'{"mediaType": "x"}', "not a lineage bundle"),
        (b'{"mediaType": "application/vnd.lineage.bundle+json", "version": 2}', "version 2"),
    ],
)
def test_unreadable_bundles(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_bundle(data)
