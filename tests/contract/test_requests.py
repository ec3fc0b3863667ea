"""Deletions, objections and erasure requests as signed statements (on both stores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.errors import InputError
from lineage.ingest.events import ingest
from lineage.ingest.pipeline import Lineage
from lineage.ledger.projection import time_us
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.identity import Identities
from lineage.model.times import parse_time

from support.graph_fixtures import REQUESTS
from support.ledgers import T0, LedgerEnv
from support.problems import has_problem
from support.stores import edit


def us(text: str) -> int:
    return time_us(parse_time(text))


def pseudonyms(env: LedgerEnv) -> dict[str, str]:
    identities = Identities(env.ledger.store.identities())
    out = {}
    for _, raw, _ in REQUESTS:
        if raw.startswith("ig:user:"):
            subject = identities.subject(raw, create=False)
            assert subject is not None
            out[raw] = subject.node_id
        else:
            owner = identities.owner("post", raw)
            assert owner is not None
            out[raw] = owner.post_id(raw)
    return out


def test_requests_are_recorded_as_statements_and_projected(graph: LedgerEnv) -> None:
    store = graph.ledger.store
    ids = pseudonyms(graph)
    rows = store.requests_of(ids.values())
    assert [(r.kind, r.target, r.at_us) for r in sorted(rows, key=lambda r: r.kind)] == [
        (kind, ids[raw], us(at)) for kind, raw, at in REQUESTS
    ]
    recorded = us("2024-06-01T00:00:00Z")
    assert {r.time_us for r in rows} == {recorded}
    statement = store.statements([rows[0].entry])[rows[0].entry]
    assert statement.predicate_type == "https://lineage.dev/Request/v2"
    assert statement.step == "privacy-requests"
    # before they were recorded the ledger knew nothing of them
    assert store.requests_of(ids.values(), as_of_us=recorded - 1) == []
    assert verify_ledger(store).ok


def test_verify_finds_an_edited_or_invented_request(graph: LedgerEnv) -> None:
    target = pseudonyms(graph)["ig:3"]
    edit(
        graph.url,
        sql=[
            f"UPDATE requests SET at_us = 0 WHERE target = '{target}'",
            "INSERT INTO requests VALUES ('subject:forged', 'objection', 2, 0, 0)",
        ],
        cypher=[
            f"MATCH (q:Request {{target: '{target}'}}) SET q.at_us = 0",
            "CREATE (:Request {key: 'subject:forged\x1fobjection\x1f00000000000000000002',"
            " target: 'subject:forged', kind: 'objection', at_us: 0, entry: 2, time_us: 0})",
        ],
    )
    report = verify_ledger(graph.ledger.store)
    assert has_problem(report, ProblemKind.PROJECTION_DIFFERS, f"request {target} deletion")
    about = "request subject:forged objection 2"
    assert has_problem(report, ProblemKind.PROJECTION_EXTRA, about, entry=2)
    assert report.kinds() == {ProblemKind.PROJECTION_DIFFERS, ProblemKind.PROJECTION_EXTRA}


def _ingest_lines(env: LedgerEnv, lines: list[dict[str, object]]) -> None:
    path = env.root / "more.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    env.ledger.close()
    try:
        with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage, path.open("rb") as f:
            ingest(lineage, f, "more.jsonl")
    finally:
        from lineage.ledger.log import Ledger

        env.ledger = Ledger.open(env.url)


STEP = {
    "event": "step",
    "id": "r2",
    "name": "privacy-requests",
    "key": "privacy",
    "time": "2024-07-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("request_line", "problem"),
    [
        ({"kind": "deletion", "author": "ig:user:B"}, "more.jsonl:2: post: a deletion request"),
        ({"kind": "objection", "post": "ig:3"}, "more.jsonl:2: author: a objection request"),
        ({"kind": "objection", "author": "ig:user:Z"}, "unknown author 'ig:user:Z'"),
        ({"kind": "deletion", "post": "fb:99"}, "unknown post 'fb:99'"),
        ({"kind": "consent", "author": "ig:user:B"}, "more.jsonl:2: kind"),
    ],
)
def test_bad_request_lines_are_refused_with_their_line(
    graph: LedgerEnv, request_line: dict[str, object], problem: str
) -> None:
    size = graph.ledger.size()
    line = {"event": "request", "step": "r2", "at": "2024-06-20T00:00:00Z", **request_line}
    with pytest.raises(InputError) as caught:
        _ingest_lines(graph, [STEP, line])
    assert problem in str(caught.value)
    assert graph.ledger.size() == size


def test_the_same_request_twice_in_a_step_makes_two_statements(graph: LedgerEnv) -> None:
    line = {"event": "request", "step": "r2", "kind": "objection", "author": "ig:user:B"}
    _ingest_lines(
        graph,
        [STEP, {**line, "at": "2024-06-20T00:00:00Z"}, {**line, "at": "2024-06-21T00:00:00Z"}],
    )
    subject = Identities(graph.ledger.store.identities()).subject("ig:user:B", create=False)
    assert subject is not None
    rows = graph.ledger.store.requests_of([subject.node_id])
    assert sorted(r.at_us for r in rows) == [us("2024-06-20T00:00:00Z"), us("2024-06-21T00:00:00Z")]
    assert len({r.entry for r in rows}) == 2
    assert verify_ledger(graph.ledger.store).ok


def test_requests_through_the_pipeline_api(env: LedgerEnv, tmp_path: Path) -> None:
    from lineage.crypto.keys import KeyDirectory

    keys = KeyDirectory(tmp_path / "keys")
    privacy = keys.create("privacy")
    env.ledger.register_key(
        env.admin, "privacy", privacy.public, ["privacy-requests"], valid_from=T0
    )
    env.ledger.close()
    with Lineage.open(env.url, keys_dir=tmp_path / "keys") as lineage:
        collect = lineage.step("collect", key="collector", time="2024-06-01T00:00:00Z")
        post = collect.origin(
            "fb:1",
            platform="facebook",
            surface="feed",
            visibility="public",
            created="2024-05-01T00:00:00Z",
            jurisdiction="US",
            author="fb:user:1",
        )
        requests = lineage.step("privacy-requests", key="privacy", time="2024-06-02T00:00:00Z")
        requests.request("deletion", post, "2024-06-01T12:00:00Z")
        requests.request("erasure", lineage.author("fb:user:1"), "2024-06-01T13:00:00Z")
        with pytest.raises(InputError, match="a objection request is about a Subject"):
            requests.request("objection", post, "2024-06-01T12:00:00Z")
    from lineage.ledger.log import Ledger

    env.ledger = Ledger.open(env.url)
    author = Identities(env.ledger.store.identities()).subject("fb:user:1", create=False)
    assert author is not None
    rows = env.ledger.store.requests_of([post.id, author.node_id])
    assert {(r.kind, r.target) for r in rows} == {
        ("deletion", post.id),
        ("erasure", author.node_id),
    }
    assert verify_ledger(env.ledger.store).ok
