"""``lineage export prov`` on every store, read back by the ecosystem's own code: the
PROV-JSON document round-trips through the prov package and its posts are exactly the
origins ``trace`` finds; every derivation names a ledger entry whose signed batch holds
that edge; SPARQL over the PROV-O export finds the same origins; PROV-N names every step
run and PROV-XML reads back; ``as_of`` gives the graph as it stood; erased authors are
marked; an export past its bound is refused."""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prov.model import ProvActivity, ProvEntity

from lineage.errors import InputError
from lineage.export.prov import prov_export
from lineage.export.prov_formats import serialize
from lineage.ingest.events import ingest
from lineage.ingest.pipeline import Lineage
from lineage.ledger.erasure import erase_author
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.ledger.projection import time_us
from lineage.query.trace import Trace

from support.demo import run_demo
from support.graph_fixtures import ids as graph_ids
from support.ledgers import LedgerEnv
from support.prov_docs import LINEAGE, derivations, entities, read_prov, sparql_origins

EDGE_KINDS = {"DERIVED_FROM", "PACKED_INTO", "PART_OF", "TRAINED_ON", "FINETUNED_FROM"}
WRITTEN_DERIVED_FIRST = {"DERIVED_FROM", "TRAINED_ON", "FINETUNED_FROM"}
"""Edge kinds a statement writes [kind, downstream, upstream] (ARCHITECTURE.md); the
others are written [kind, upstream, downstream]."""


@pytest.fixture
def demo(store_url: str, tmp_path: Path) -> Iterator[tuple[Ledger, str, list[str], str]]:
    """The demo's ledger on each store, its base model, that model's shards and its dataset."""
    run = run_demo(store_url, tmp_path)
    ledger = Ledger.open(store_url)
    try:
        yield ledger, run.model, [shard.id for shard in run.shards], run.dataset
    finally:
        ledger.close()


def origins(ledger: Ledger, artifact: str, as_of: datetime | None = None) -> set[str]:
    at = time_us(as_of) if as_of is not None else None
    return {row.id for row in Trace(ledger.store, artifact, at).origins()}


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
    assert set(posts) == origins(ledger, model) and len(posts) > 100
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
    ledger, model, shards, dataset = demo
    for artifact in (model, shards[0], dataset):
        turtle = serialize(prov_export(ledger, artifact).document, "ttl")
        assert sparql_origins(turtle, ledger.origin) == origins(ledger, artifact), artifact


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


def add_a_shard_to_ds_v1_later(env: LedgerEnv) -> None:
    """A later run of the dataset step puts shard-b into ds-v1 too (on 2024-05-10)."""
    events = [
        {
            "event": "step",
            "id": "s2",
            "name": "dataset",
            "version": "1.0",
            "run": "run-2",
            "key": "packer",
            "time": "2024-05-10T00:00:00Z",
        },
        {
            "event": "dataset",
            "step": "s2",
            "dataset": "ds-v1",
            "version": "1",
            "shards": ["shard-b"],
        },
    ]
    path = env.root / "later.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    env.ledger.close()
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage, path.open("rb") as f:
        ingest(lineage, f, "later.jsonl")
    env.ledger = Ledger.open(env.url)


def test_as_of_before_a_later_step_gives_the_earlier_graph(graph: LedgerEnv) -> None:
    add_a_shard_to_ds_v1_later(graph)
    raw = graph_ids(graph)
    before, after = datetime(2024, 5, 9, tzinfo=UTC), datetime(2024, 5, 11, tzinfo=UTC)
    for moment, posts in ((before, {"fb:1", "ig:3"}), (after, {"fb:1", "ig:3", "ig:4"})):
        made = prov_export(graph.ledger, "ds:ds-v1", as_of=moment)
        document = read_prov(serialize(made.document, "json"), "json")
        exported = set(entities(document, "Post"))
        assert exported == origins(graph.ledger, "ds:ds-v1", moment) == {raw[p] for p in posts}
        runs = {run.identifier.localpart for run in document.get_records(ProvActivity)}
        assert ("run/dataset/1.0/run-2" in runs) == (moment == after)
        assert ("shard:shard-b" in entities(document, "Shard")) == (moment == after)


def test_the_posts_of_an_erased_author_are_marked(graph: LedgerEnv) -> None:
    raw = graph_ids(graph)
    erase_author(graph.ledger, graph.admin, "ig:user:C")
    document = read_prov(
        serialize(prov_export(graph.ledger, "model:model-b").document, "json"), "json"
    )
    marks = {
        node: {str(n.uri): v for n, v in post.attributes}[LINEAGE + "authorErased"]
        for node, post in entities(document, "Post").items()
    }
    assert marks == {raw["fb:1"]: False, raw["ig:3"]: False, raw["ig:4"]: True}


def test_an_export_past_its_bound_is_refused_and_a_post_is_not_an_artifact(
    graph: LedgerEnv,
) -> None:
    raw = graph_ids(graph)
    counts = Trace(graph.ledger.store, "model:model-b").finish().counts
    upstream = 1 + sum(n for kind, n in counts.items() if kind != "Subject")  # and the model
    made = prov_export(graph.ledger, "model:model-b", max_nodes=upstream)
    assert made.entities == upstream + 1  # and the checkpoint
    with pytest.raises(InputError, match=rf"--max-nodes: .*more than {upstream - 1} upstream"):
        prov_export(graph.ledger, "model:model-b", max_nodes=upstream - 1)
    with pytest.raises(InputError, match="not a Post"):
        prov_export(graph.ledger, raw["fb:1"])
    with pytest.raises(InputError, match="no node model:nothing"):
        prov_export(graph.ledger, "model:nothing")
