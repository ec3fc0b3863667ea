"""The hand-built pipeline: expected traces and impacts written out by hand."""

from __future__ import annotations

import base64
import json

import pytest

from lineage.errors import InputError
from lineage.ingest.events import ingest
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.query.impact import impact
from lineage.query.show import show
from lineage.query.trace import Trace, path
from lineage.store import Store

from support.graph_fixtures import ids, setup_signers
from support.ledgers import LedgerEnv
from support.problems import has_problem
from support.stores import edit, stored_values


def origins(env: LedgerEnv, artifact: str) -> set[str]:
    return {row.id for row in Trace(env.ledger.store, artifact).origins()}


def test_traces_by_hand(graph: LedgerEnv) -> None:
    n = ids(graph)
    assert origins(graph, "model:model-a") == {n["fb:1"], n["ig:3"]}
    assert origins(graph, "model:model-b") == {n["fb:1"], n["ig:3"], n["ig:4"]}
    assert origins(graph, "model:model-a-ft") == {n["fb:1"], n["ig:3"], n["ig:4"]}
    assert origins(graph, "shard:shard-b") == {n["ig:4"]}
    assert origins(graph, "ds:ds-v1") == {n["fb:1"], n["ig:3"]}


def test_trace_summary_by_hand(graph: LedgerEnv) -> None:
    summary = Trace(graph.ledger.store, "model:model-b").finish().to_json()
    assert summary["origins"] == 3
    assert summary["by_platform"] == {"facebook": 1, "instagram": 2}
    assert summary["by_surface"] == {"feed": 1, "photo": 1, "reel": 1}
    assert summary["by_jurisdiction"] == {"BR": 1, "US": 2}
    assert summary["upstream_nodes"] == {
        "Dataset": 1,
        "Post": 3,
        "Record": 9,
        "Shard": 2,
        "Subject": 3,
    }
    assert summary["dropped"] == [
        {"step": "dedup", "version": "1.0", "run": "run-1", "reason": "duplicate", "count": 1},
        {
            "step": "visibility",
            "version": "1.0",
            "run": "run-1",
            "reason": "not-public",
            "count": 1,
        },
    ]


def test_impacts_by_hand(graph: LedgerEnv) -> None:
    n = ids(graph)
    of_post = impact(graph.ledger.store, n["fb:1"])
    assert len(of_post.nodes["Record"]) == 3
    assert of_post.nodes["Shard"] == ["shard:shard-a"]
    assert of_post.nodes["Dataset"] == ["ds:ds-v1", "ds:ds-v2"]
    assert of_post.nodes["Model"] == ["model:model-a", "model:model-a-ft", "model:model-b"]

    of_author = impact(graph.ledger.store, n["ig:user:C"])
    assert of_author.nodes["Post"] == sorted([n["ig:4"], n["fb:5"]])
    assert of_author.nodes["Shard"] == ["shard:shard-b"]
    assert of_author.nodes["Dataset"] == ["ds:ds-v2"]
    assert of_author.nodes["Model"] == ["model:model-a-ft", "model:model-b"]
    assert [d.reason for d in of_author.drops] == ["duplicate"]

    dropped = impact(graph.ledger.store, n["fb:2"])
    assert all(not v for v in dropped.nodes.values())
    assert [d.reason for d in dropped.drops] == ["not-public"]


def test_path_names_step_version_and_signer_of_each_hop(graph: LedgerEnv) -> None:
    n = ids(graph)
    hops = path(graph.ledger.store, n["ig:4"], "model:model-a-ft")
    assert [(h.edge.kind, h.step, h.signer) for h in hops] == [
        ("DERIVED_FROM", "visibility", "filter"),
        ("DERIVED_FROM", "pii", "cleaner"),
        ("DERIVED_FROM", "dedup", "deduper"),
        ("PACKED_INTO", "pack", "packer"),
        ("TRAINED_ON", "finetune", "trainer"),
    ]
    assert hops[0].edge.up == n["ig:4"] and hops[-1].edge.down == "model:model-a-ft"


def test_show_gives_entries_with_inclusion_proofs(graph: LedgerEnv) -> None:
    from lineage.crypto.merkle.verify import verify_inclusion
    from lineage.crypto.note import open_checkpoint

    shown = show(graph.ledger, "shard:shard-a")
    assert shown.node.attributes()["records"] == 2
    assert {h.edge.kind for h in shown.edges} == {"PACKED_INTO", "PART_OF"}
    checkpoint_note = graph.ledger.latest_checkpoint() or ""
    checkpoint = open_checkpoint(checkpoint_note, graph.ledger.origin, graph.admin.public)
    for entry, proof in shown.proofs.items():
        verify_inclusion(entry, proof.size, proof.leaf_hash, proof.hashes, checkpoint.root)


def stored_counts(store: Store) -> list[int]:
    identities = store.identities()
    return [
        store.size(),
        *(sum(1 for _ in store.iter_rows(t)) for t in ("nodes", "edges", "drops")),
        sum(1 for _ in identities.iter_subjects()),
        sum(1 for _ in identities.iter_bindings()),
    ]


def test_reingesting_the_same_events_changes_nothing(graph: LedgerEnv) -> None:
    counts = stored_counts(graph.ledger.store)
    assert min(counts) > 0
    graph.ledger.close()
    with (
        Lineage.open(graph.url, keys_dir=graph.root / "keys") as lineage,
        (graph.root / "events.jsonl").open("rb") as f,
    ):
        ingest(lineage, f, "events.jsonl")
        assert lineage.appended == 0
    graph.ledger = Ledger.open(graph.url)
    assert stored_counts(graph.ledger.store) == counts


def test_verify_checks_the_projection(graph: LedgerEnv) -> None:
    assert verify_ledger(graph.ledger.store).ok
    forged_attrs = '{"records":3,"sha256":"x","size":1}'
    edit(
        graph.url,
        sql=[
            "DELETE FROM edges WHERE kind = 'PACKED_INTO' AND down = 'shard:shard-b'",
            f"UPDATE nodes SET attrs = '{forged_attrs}' WHERE id = 'shard:shard-a'",
            "INSERT INTO drops VALUES ('post:forged', 3, 'made up', 0)",
        ],
        cypher=[
            "MATCH ()-[r:PACKED_INTO]->(:Lineage {id: 'shard:shard-b'}) DELETE r",
            "MATCH (n:Lineage {id: 'shard:shard-a'}) SET n.records = 3, n.sha256 = 'x', n.size = 1",
            "CREATE (:Drop {key: 'post:forged\x1f00000000000000000003', node: 'post:forged',"
            " entry: 3, reason: 'made up', time_us: 0})",
        ],
    )
    report = verify_ledger(graph.ledger.store)
    assert has_problem(report, ProblemKind.PROJECTION_MISSING, "graph edge shard:shard-b")
    assert has_problem(report, ProblemKind.PROJECTION_DIFFERS, "graph node shard:shard-a")
    assert has_problem(report, ProblemKind.PROJECTION_EXTRA, "graph drop post:forged 3", 3)
    assert report.kinds() == {
        ProblemKind.PROJECTION_MISSING,
        ProblemKind.PROJECTION_DIFFERS,
        ProblemKind.PROJECTION_EXTRA,
    }


def test_no_raw_identifier_or_plain_hash_in_the_ledger(graph: LedgerEnv) -> None:
    import hashlib

    raw = [b"fb:1", b"fb:2", b"ig:3", b"fb:user:A", b"ig:user:B", b"ig:user:C", b"fb:1/v"]
    hashed = [hashlib.sha256(r).hexdigest().encode() for r in raw]
    blobs = [base64.b64decode(json.loads(body)["payload"]) for _, _, body in graph.ledger.entries()]
    blobs.extend(stored_values(graph.url))
    assert len(blobs) > 100
    for blob in blobs:
        for needle in (*raw, *hashed):
            assert needle not in blob, needle


def test_a_step_signed_by_an_unauthorised_key_writes_nothing(env: LedgerEnv) -> None:
    env.ledger.close()
    setup_signers(env.url, env.keys)
    lines = [
        '{"event": "step", "id": "c", "name": "collect", "key": "packer",'
        ' "time": "2024-05-02T00:00:00Z"}',
        '{"event": "origin", "step": "c", "post": "fb:1", "platform": "facebook",'
        ' "surface": "feed", "visibility": "public", "created": "2024-05-01T00:00:00Z",'
        ' "jurisdiction": "US", "author": "fb:user:1"}',
    ]
    (env.root / "e.jsonl").write_text("\n".join(lines) + "\n")
    size = Ledger.open(env.url).size()
    with (
        pytest.raises(InputError, match="not authorised for step 'collect'"),
        Lineage.open(env.url, keys_dir=env.root / "keys") as lineage,
        (env.root / "e.jsonl").open("rb") as f,
    ):
        ingest(lineage, f, "e.jsonl")
    assert Ledger.open(env.url).size() == size


def test_show_lists_a_bounded_number_of_edges(graph: LedgerEnv) -> None:
    assert len(show(graph.ledger, "shard:shard-a").edges) == 4  # 2 packed records, 2 datasets
    assert len(show(graph.ledger, "shard:shard-a", max_edges=1).edges) == 1
