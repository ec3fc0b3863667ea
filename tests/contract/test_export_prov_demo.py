"""``lineage export prov`` of the demo's base model on every store, read back by the
ecosystem's own code: the PROV-JSON document round-trips through the prov package and
its posts are exactly the origins ``trace`` finds; every derivation names a ledger entry
whose signed batch holds that edge; SPARQL over the PROV-O export finds the same origins;
PROV-N names every step run and PROV-XML reads back. (The hand-built pipeline's cases,
``as_of``, erasure and the bound, are in ``test_export_prov.py``.)"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterator

import pytest
from prov.model import ProvEntity

from lineage.export.prov import prov_export
from lineage.export.prov_formats import serialize
from lineage.ledger.log import Ledger, checkpoint_of

from support.demo import run_demo
from support.prov_docs import (
    LINEAGE,
    derivations,
    entities,
    read_prov,
    sparql_origins,
    trace_origins,
)
from support.stores import STORES, fresh_store_url

EDGE_KINDS = {"DERIVED_FROM", "PACKED_INTO", "PART_OF", "TRAINED_ON", "FINETUNED_FROM"}
WRITTEN_DERIVED_FIRST = {"DERIVED_FROM", "TRAINED_ON", "FINETUNED_FROM"}
"""Edge kinds a statement writes [kind, downstream, upstream] (ARCHITECTURE.md); the
others are written [kind, upstream, downstream]."""


@pytest.fixture(scope="module", params=STORES)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Ledger, str, list[str], str]]:
    """The demo's ledger on each store, its base model, that model's shards and its
    dataset: one demo per store for the whole module (the tests only read it)."""
    root = tmp_path_factory.mktemp(f"prov-demo-{request.param}")
    url = fresh_store_url(request.param, root)
    run = run_demo(url, root)
    ledger = Ledger.open(url, read_only=True)
    try:
        yield ledger, run.model, [shard.id for shard in run.shards], run.dataset
    finally:
        ledger.close()


def edges_signed_in(ledger: Ledger, entry: int) -> set[tuple[str, str, str]]:
    """The edges of entry ``entry``'s batch, as its signed items write them."""
    items = [json.loads(item.text) for item in ledger.entry_items(entry)]
    return {(item[0], item[1], item[2]) for item in items if item[0] in EDGE_KINDS}


def test_prov_json_round_trips_and_its_posts_are_the_traces_origins(
    demo: tuple[Ledger, str, list[str], str],
) -> None:
    ledger, model, shards, dataset = demo
    made = prov_export(ledger, model)
    document = read_prov(serialize(made.document, "json"), "json")
    assert document == made.document
    assert read_prov(serialize(document, "json"), "json") == document
    posts = entities(document, "Post")
    assert set(posts) == trace_origins(ledger, model) and len(posts) > 100
    for post in posts.values():
        names = {str(name.uri).removeprefix(LINEAGE) for name, _ in post.attributes}
        assert {"platform", "surface", "jurisdiction", "created", "authorErased"} <= names
    assert set(entities(document, "Shard")) == set(shards)
    assert set(entities(document, "Dataset")) == {dataset}
    assert set(entities(document, "Model")) == {model}
    assert all(node.startswith("rec:") for node in entities(document, "Record"))
    assert made.entities == len(list(document.get_records(ProvEntity)))


def test_every_derivation_names_an_entry_that_asserts_that_edge(
    demo: tuple[Ledger, str, list[str], str],
) -> None:
    ledger, model, _, _ = demo
    document = read_prov(serialize(prov_export(ledger, model).document, "json"), "json")
    found = derivations(document)
    assert {kind for _, _, kind, _ in found} == {
        "DERIVED_FROM",
        "PACKED_INTO",
        "PART_OF",
        "TRAINED_ON",
    }
    signed: dict[int, set[tuple[str, str, str]]] = {}
    for derived, source, kind, entry in found:
        assert 0 <= entry < ledger.size()
        if entry not in signed:
            signed[entry] = edges_signed_in(ledger, entry)
        written = (derived, source) if kind in WRITTEN_DERIVED_FIRST else (source, derived)
        assert (kind, *written) in signed[entry], (derived, source, kind, entry)
    assert len(set(found)) == len(found)
    (checkpoint,) = entities(document, "Checkpoint").values()
    note = ledger.latest_checkpoint()
    assert note is not None
    attributes = {str(name.uri).removeprefix(LINEAGE): v for name, v in checkpoint.attributes}
    stood = checkpoint_of(note)
    assert attributes["note"] == note and attributes["size"] == stood.size == ledger.size()
    assert attributes["rootHash"] == b64encode(stood.root).decode()
    assert attributes["origin"] == ledger.origin
    assert attributes["artifact"].localpart == model


def test_sparql_over_prov_o_finds_the_traces_origins(
    demo: tuple[Ledger, str, list[str], str],
) -> None:
    ledger, model, shards, _ = demo
    for artifact in (model, shards[0]):  # the dataset's origins are the base model's
        turtle = serialize(prov_export(ledger, artifact).document, "ttl")
        assert sparql_origins(turtle, ledger.origin) == trace_origins(ledger, artifact), artifact


def test_prov_n_names_every_step_run_and_prov_xml_reads_back(
    demo: tuple[Ledger, str, list[str], str],
) -> None:
    ledger, model, _, _ = demo
    made = prov_export(ledger, model)
    provn = serialize(made.document, "provn").decode()
    steps = ["collect", "visibility", "jurisdiction", "objection", "minor", "deletion"]
    steps += ["pii-redact", "dedup", "pack", "dataset", "train"]
    for step in steps:  # the demo's stages that made the base model (not the fine-tune)
        assert f"activity(log:run/{step}/1.0/demo-7," in provn, step
    assert "finetune" not in provn
    assert made.activities == len(steps)
    assert read_prov(provn.encode(), "provn") == made.document
    assert read_prov(serialize(made.document, "xml"), "xml") == made.document
