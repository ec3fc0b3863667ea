"""Remediation plans, erasure by crypto-shredding, and receipts (on both stores)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3

import pytest

from lineage.errors import VerificationError
from lineage.ledger.erasure import ERASURE_PREDICATE, erase_author, receipts
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.identity import Identities
from lineage.model.predicates import REQUEST_V2
from lineage.model.requests import ERASURE as ERASURE_KIND
from lineage.query.impact import impact
from lineage.query.plan import remediation_plan
from lineage.query.show import show
from lineage.query.trace import Trace
from lineage.store.sqlite.store import path_from_url

from support.graph_fixtures import POSTS, ingest_hand_built_pipeline
from support.graph_fixtures import ids as graph_ids
from support.ledgers import LedgerEnv
from support.stores import edit


def node_of(env: LedgerEnv, raw: str) -> str:
    identities = Identities(env.ledger.store.identities())
    if ":user:" in raw:
        subject = identities.subject(raw, create=False)
        assert subject is not None
        return subject.node_id
    owner = identities.owner("post", raw)
    assert owner is not None
    return owner.post_id(raw)


def test_plan_of_a_post_in_two_models_through_two_datasets_and_a_fine_tune(
    graph: LedgerEnv,
) -> None:
    post = node_of(graph, "fb:1")
    plan = remediation_plan(graph.ledger.store, post).to_json()
    record = node_of_record(graph, "fb:1/d")
    assert [(s["shard"], s["remove"]) for s in plan["shards"]] == [("shard:shard-a", [record])]
    assert plan["shards"][0]["rebuild_from_sha256"] == "01" * 32
    assert [
        (d["dataset"], d["version"], d["affected_shards"]) for d in plan["superseded_datasets"]
    ] == [
        ("ds:ds-v1", "1", ["shard:shard-a"]),
        ("ds:ds-v2", "2", ["shard:shard-a"]),
    ]
    assert [(m["model"], m["shards"], m["affected_shards"]) for m in plan["retrain"]] == [
        ("model:model-a", 1, ["shard:shard-a"]),
        ("model:model-b", 2, ["shard:shard-a"]),
    ]
    assert [(m["model"], m["finetuned_from"]) for m in plan["refit_finetunes"]] == [
        ("model:model-a-ft", "model:model-a")
    ]
    # the same ledger state gives the same plan
    assert remediation_plan(graph.ledger.store, post).to_json() == plan
    # a post dropped before any shard needs nothing rebuilt
    dropped = remediation_plan(graph.ledger.store, node_of(graph, "fb:2")).to_json()
    assert dropped["shards"] == [] and dropped["retrain"] == []


def node_of_record(env: LedgerEnv, raw: str) -> str:
    owner = Identities(env.ledger.store.identities()).owner("record", raw)
    assert owner is not None
    return owner.record_id(raw)


def test_erase_keeps_the_ledger_verifiable_and_says_nothing_of_whom(graph: LedgerEnv) -> None:
    subject = node_of(graph, "ig:user:C")
    post = node_of(graph, "ig:4")
    size = graph.ledger.size()
    result = erase_author(graph.ledger, graph.admin, "ig:user:C")
    assert result.erased and result.receipt is not None and result.erasure_entry == size + 1
    assert result.receipt.request.kind == "erasure" and result.receipt.request.target == subject
    assert verify_ledger(graph.ledger.store).ok
    stored = graph.ledger.store.entry(size + 1)
    assert stored is not None
    payload = base64.b64decode(json.loads(stored[1])["payload"])
    statement = json.loads(payload)
    assert statement["predicateType"] == ERASURE_PREDICATE
    assert subject.encode() not in payload and b"ig:user:C" not in payload
    assert post.encode() not in payload

    store = graph.ledger.store
    assert show(graph.ledger, subject).erased and show(graph.ledger, post).erased
    assert not show(graph.ledger, node_of(graph, "fb:1")).erased
    assert impact(store, subject).erased and impact(store, post).erased
    assert Identities(store.identities()).subject("ig:user:C", create=False) is None
    assert Identities(store.identities()).owner("post", "ig:4") is None
    # the graph keeps the pseudonymous lineage: the model still traces to the post
    assert post in {row.id for row in Trace(store, "model:model-b").origins()}
    # erasing twice changes nothing
    assert not erase_author(graph.ledger, graph.admin, "ig:user:C").erased
    assert graph.ledger.size() == size + 2


def test_erased_author_leaves_nothing_linkable_in_the_sqlite_files(
    sqlite_env: LedgerEnv,
) -> None:
    env = ingest_hand_built_pipeline(sqlite_env)
    store = env.ledger.store
    identities = Identities(store.identities())
    subject = identities.subject("ig:user:C", create=False)
    assert subject is not None
    index_key = store.identities().index_key()
    own_posts = [p[0] for p in POSTS if p[1] == "ig:user:C"]
    raw_ids = ["ig:user:C", *own_posts, *(f"{p}/{s}" for p in own_posts for s in "vpd")]
    secrets = [
        subject.key,
        subject.lookup,
        subject.key.hex().encode(),
        subject.lookup.hex().encode(),
    ]
    erase_author(env.ledger, env.admin, "ig:user:C")
    # read while the store is still open: closing it would checkpoint the log anyway
    path = path_from_url(env.url)
    blob = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    blob += wal.read_bytes() if wal.exists() else b""
    env.ledger.close()
    for secret in secrets:
        assert secret not in blob
    remaining = [bytes(k) for (k,) in sqlite3.connect(path).execute("SELECT key FROM subject_keys")]
    for raw in raw_ids:
        assert raw.encode() not in blob
        for kind in (b"author", b"post", b"record"):
            lookup = hmac.digest(index_key, kind + b"\0" + raw.encode(), "sha256")
            assert lookup not in blob and lookup.hex().encode() not in blob, (raw, kind)
        for key in remaining:
            for label in (b"post", b"record", b"content"):
                mac = hmac.digest(key, label + b"\0" + raw.encode(), "sha256")
                assert mac[:12].hex().encode() not in blob
    assert hashlib.sha256(b"ig:user:C").hexdigest().encode() not in blob
    reopened = Ledger.open(env.url)
    try:
        assert verify_ledger(reopened.store).ok
    finally:
        reopened.close()


@pytest.mark.parametrize("missing", ["fb:user:nobody"])
def test_erasing_an_unknown_author_is_a_message(graph: LedgerEnv, missing: str) -> None:
    assert not erase_author(graph.ledger, graph.admin, missing).erased
    with pytest.raises(Exception, match="never recorded, or erased"):
        receipts(graph.ledger, missing)


def test_erase_refuses_request_items_that_are_not_the_signed_ones(sqlite_env: LedgerEnv) -> None:
    """The position an Erasure signs is read from the proven batch: swapping two stored
    request items (to have the log key answer someone else's request) is refused."""
    ingest_hand_built_pipeline(sqlite_env)
    ledger = sqlite_env.ledger
    ids = graph_ids(sqlite_env)
    at = "2024-09-01T00:00:00Z"
    requests = [[ERASURE_KIND, ids["fb:user:A"], at], [ERASURE_KIND, ids["ig:user:B"], at]]
    entry = ledger.admin_batch(sqlite_env.admin, REQUEST_V2, [requests])
    items = ledger.store.batch(entry)
    assert items is not None
    first, second = items.split(b"\n")
    swapped = b"\n".join([second, first]).hex()
    edit(
        sqlite_env.url,
        sql=[f"UPDATE batches SET items = x'{swapped}' WHERE entry = {entry}"],
        cypher=[],
    )
    with pytest.raises(VerificationError, match="not the ones it signs"):
        erase_author(ledger, sqlite_env.admin, "fb:user:A")
