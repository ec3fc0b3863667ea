"""``lineage export prov`` of the hand-built pipeline on every store: ``as_of`` gives the
graph as it stood; erased authors are marked; an export past its bound is refused. (The
demo's export read back by the ecosystem's own code is ``test_export_prov_demo.py``.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from prov.model import ProvActivity

from lineage.errors import InputError
from lineage.export.prov import prov_export
from lineage.export.prov_formats import serialize
from lineage.ingest.events import ingest
from lineage.ingest.pipeline import Lineage
from lineage.ledger.erasure import erase_author
from lineage.ledger.log import Ledger
from lineage.query.trace import Trace

from support.graph_fixtures import ids as graph_ids
from support.ledgers import LedgerEnv
from support.prov_docs import LINEAGE, entities, read_prov, trace_origins


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
        assert (
            exported == trace_origins(graph.ledger, "ds:ds-v1", moment) == {raw[p] for p in posts}
        )
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
