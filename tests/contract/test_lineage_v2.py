"""Lineage/v2 on each store: pipelines write statements that commit to their batch, the
items are stored beside the envelope, verify recomputes every root from them, copy
carries them, and a ledger written before v2 keeps verifying and answering the same."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lineage.crypto.canonical import parse_json
from lineage.crypto.dsse import parse_envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory
from lineage.ingest.pipeline import Lineage
from lineage.ingest.statements import sign_statement_file
from lineage.ledger.copy import copy_ledger
from lineage.ledger.log import Ledger
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.batch import (
    BatchEnvelope,
    artifact_subjects,
    commit,
    envelope_from_line,
    envelope_line,
)
from lineage.model.predicates import LINEAGE, LINEAGE_V2
from lineage.model.statement import Step, make_statement, parse_statement
from lineage.store import open_store

from support.cli import run_cli
from support.graph_fixtures import SHA, ingest_hand_built_pipeline
from support.ledgers import T0, LedgerEnv, registration_envelope
from support.problems import has_problem
from support.stores import edit, fresh_store_url, is_neo4j, neo4j_driver

V1_LEDGER = Path(__file__).parents[1] / "vectors" / "v1-ledger"


def lineage_statements(ledger: Ledger) -> list[tuple[int, Any, bytes | None]]:
    """(entry, statement, stored items) of every Lineage statement, v1 or v2."""
    found = []
    for index, _, body in ledger.entries():
        statement = parse_statement(parse_envelope(body).payload)
        if statement.predicate_type in (LINEAGE, LINEAGE_V2):
            found.append((index, statement, ledger.store.batch(index)))
    return found


def test_the_hand_built_pipeline_writes_v2_statements_with_stored_items(
    graph: LedgerEnv,
) -> None:
    statements = lineage_statements(graph.ledger)
    assert statements and all(s.predicate_type == LINEAGE_V2 for _, s, _ in statements)
    for index, statement, items in statements:
        assert items is not None, f"entry {index} has no stored items"
        batch = statement.predicate["batch"]
        assert len(items.split(b"\n")) == batch["nodes"] + batch["edges"]
        assert "nodes" not in statement.predicate and "edges" not in statement.predicate
    shard_subjects = {
        subject["name"]: subject["digest"]["sha256"]
        for _, statement, _ in statements
        for subject in statement.subjects
        if subject["name"].startswith("shard:")
    }
    shards = graph.ledger.store.nodes(list(shard_subjects))
    assert shard_subjects and len(shards) == len(shard_subjects)
    for name, digest in shard_subjects.items():
        assert json.loads(shards[name].attrs)["sha256"] == digest
    assert verify_ledger(graph.ledger.store).ok


def test_the_envelope_stays_the_same_size_whatever_the_batch_size(env: LedgerEnv) -> None:
    sizes = {}
    for count in (1, 100, 5000):
        edges = [["DERIVED_FROM", f"rec:r{n}", f"post:p{n}"] for n in range(count)]
        commitment, items = commit([], edges)
        statement = make_statement(
            artifact_subjects([], commitment.root, "collect"),
            LINEAGE_V2,
            Step("collect"),
            T0,
            {"batch": commitment.to_json()},
        )
        signed = sign_envelope(statement.payload(), env.collector)
        env.ledger.append([("t", BatchEnvelope(**vars(signed), items=items))], env.admin)
        sizes[count] = len(env.ledger.entry(env.ledger.size() - 1).body)
    assert max(sizes.values()) - min(sizes.values()) <= 8, sizes


def _first_batch(ledger: Ledger) -> int:
    return next(
        index for index, s, _ in lineage_statements(ledger) if s.predicate_type == LINEAGE_V2
    )


def test_verify_recomputes_every_batch_root_from_the_stored_items(graph: LedgerEnv) -> None:
    entry = _first_batch(graph.ledger)
    items = graph.ledger.store.batch(entry)
    assert items is not None
    edited = items.replace(b"post:", b"post:0", 1)
    if is_neo4j(graph.url):
        neo4j_driver().execute_query(
            "MATCH (e:LedgerEntry {idx: $idx}) SET e.items = $items", idx=entry, items=edited
        )
    else:
        edit(
            graph.url,
            sql=[f"UPDATE batches SET items = x'{edited.hex()}' WHERE entry = {entry}"],
            cypher=[],
        )
    report = verify_ledger(graph.ledger.store)
    assert has_problem(report, ProblemKind.BATCH, entry=entry)


def test_verify_names_missing_and_stray_items(graph: LedgerEnv) -> None:
    entry = _first_batch(graph.ledger)
    edit(
        graph.url,
        sql=[
            f"DELETE FROM batches WHERE entry = {entry}",
            "INSERT INTO batches (entry, items) VALUES (1, x'5b5d')",
        ],
        cypher=[
            f"MATCH (e:LedgerEntry {{idx: {entry}}}) REMOVE e.items",
            "MATCH (e:LedgerEntry {idx: 1}) SET e.items = '[]'",
        ],
    )
    report = verify_ledger(graph.ledger.store)
    assert has_problem(report, ProblemKind.BATCH, f"entry {entry}: a batch statement", entry)
    assert has_problem(report, ProblemKind.BATCH, "entry 1: batch items beside", 1)
    assert {p.kind for p in report.problems} <= {ProblemKind.BATCH, ProblemKind.PROJECTION_EXTRA}


def test_copy_carries_the_items_to_the_other_store(graph: LedgerEnv, tmp_path: Path) -> None:
    other = "neo4j" if not is_neo4j(graph.url) else "sqlite"
    target_url = fresh_store_url(other, tmp_path / "copy")
    source = graph.ledger.store
    target = open_store(target_url, create=True)
    try:
        copy_ledger(source, target)
        assert verify_ledger(target).ok
        entry = _first_batch(graph.ledger)
        assert target.batch(entry) == source.batch(entry)
        assert list(target.iter_batches()) == list(source.iter_batches())
    finally:
        target.close()


def _v1_ledger(tmp_path: Path) -> str:
    """A copy of the fixture ledger written by lineage before Lineage/v2 (a 300-post
    demo), with its admin key."""
    shutil.copy(V1_LEDGER / "lineage.db", tmp_path / "v1.db")
    keys = tmp_path / "v1-keys"
    keys.mkdir(mode=0o700)
    shutil.copy(V1_LEDGER / "keys" / "admin.pem", keys / "admin.pem")
    (keys / "admin.pem").chmod(0o600)
    (tmp_path / "v1.db").chmod(0o600)
    return f"sqlite:///{tmp_path / 'v1.db'}"


def _answers(url: str) -> dict[str, Any]:
    stored = json.loads((V1_LEDGER / "answers.json").read_text())
    policy = str(Path(__file__).parents[2] / "src/lineage/policies/public-content-training.toml")
    found = {}
    for name, answer in stored.items():
        args = [policy if a == "POLICY" else a for a in answer["args"]]
        result = run_cli(*args, "--db", url, "--json")
        assert result.exit_code == 0, (name, result.output)
        now = _without_later_fields(json.loads(result.stdout))
        found[name] = (_ordered(now), _ordered(answer["json"]))
    return found


def _without_later_fields(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` without what was added to the output after the answers were recorded
    (what a finding's rule read, a shard's or plan's new versions), so the rest must be as
    it was."""
    for listed in ("findings", "notice_findings"):
        for finding in answer.get(listed, []):
            finding.pop("read", None)
    answer.pop("superseded_by", None)
    plan = answer.get("plan") or {}
    for fix in plan.get("shards", []):
        fix.pop("remediated_by", None)
    for dataset in plan.get("superseded_datasets", []):
        dataset.pop("superseded_by", None)
    return answer


def _ordered(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` with an impact's drops in (entry, node) order, as impact now lists them
    on every store (before, in the order the store walked)."""
    if "dropped" in answer:
        answer["dropped"] = sorted(answer["dropped"], key=lambda d: (d["entry"], d["node"]))
    return answer


def test_a_ledger_written_before_v2_verifies_and_answers_as_it_did(
    tmp_path: Path, store_url: str
) -> None:
    url = _v1_ledger(tmp_path)
    if is_neo4j(store_url):
        source, target = open_store(url), open_store(store_url, create=True)
        copy_ledger(source, target)
        source.close()
        target.close()
        url = store_url
    store = open_store(url)
    try:
        assert verify_ledger(store).ok
        assert list(store.iter_batches()) == []
    finally:
        store.close()
    for name, (now_answer, then_answer) in _answers(url).items():
        assert now_answer == then_answer, name


def test_a_ledger_written_before_v2_takes_v2_statements(tmp_path: Path) -> None:
    url = _v1_ledger(tmp_path)
    keys = KeyDirectory(tmp_path / "v1-keys")
    admin = keys.load("admin")
    ledger = Ledger.open(url)
    packer = keys.create("packer")
    ledger.append([("reg", registration_envelope(admin, packer, ["collect"]))], admin)
    ledger.close()
    with Lineage.open(url, keys_dir=keys.path) as lineage:
        step = lineage.step("collect", key="packer")
        post = step.origin(
            "late:post",
            platform="facebook",
            surface="feed",
            visibility="public",
            created="2024-05-01T00:00:00Z",
            jurisdiction="US",
            author="late:author",
        )
        step.shard("late", sha256=SHA, size=1, records=[step.transform(post)])
    ledger = Ledger.open(url)
    try:
        kinds = {s.predicate_type for _, s, _ in lineage_statements(ledger)}
        assert kinds == {LINEAGE, LINEAGE_V2}
        assert verify_ledger(ledger.store).ok
    finally:
        ledger.close()


def test_a_statement_file_with_inline_nodes_is_signed_as_a_v2_line_that_appends(
    env: LedgerEnv, tmp_path: Path
) -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "anything", "digest": {"sha256": "00" * 32}}],
        "predicateType": LINEAGE,
        "predicate": {
            "step": {"name": "collect"},
            "time": "2024-05-02T00:00:00Z",
            "nodes": [["Dataset", "ds:from-file", {}]],
        },
    }
    path = tmp_path / "st.json"
    path.write_text(json.dumps(statement))
    signed = sign_statement_file(path, env.collector)
    line = envelope_line(signed)
    parsed = parse_json(line)
    assert set(parsed) == {"envelope", "items"}
    assert parsed["items"] == [["Dataset", "ds:from-file", {}]]
    payload = parse_statement(base64.b64decode(parsed["envelope"]["payload"]))
    assert payload.predicate_type == LINEAGE_V2
    env.ledger.append([("file:1", envelope_from_line(parsed))], env.admin)
    assert env.ledger.store.node("ds:from-file") is not None
    assert verify_ledger(env.ledger.store).ok


def test_receipts_of_a_ledger_written_before_v2_have_ids_that_find_them(tmp_path: Path) -> None:
    url = _v1_ledger(tmp_path)
    found = run_cli("receipt", "--author", "ig:user:5", "--db", url, "--json")
    assert found.exit_code == 0, found.output
    (receipt,) = json.loads(found.stdout)["receipts"]
    again = run_cli("receipt", "--id", receipt["id"], "--db", url, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["receipts"] == [receipt]
    refused = run_cli(
        "receipt", "--id", receipt["id"], "--db", url, "--bundle", str(tmp_path / "b")
    )
    assert refused.exit_code == 2 and "cannot be disclosed one by one" in refused.output


@pytest.mark.parametrize("value", ["12345", "'text'", "1.5"])
def test_items_stored_as_another_type_are_reported_not_crashed_on(
    sqlite_env: LedgerEnv, value: str
) -> None:
    ingest_hand_built_pipeline(sqlite_env)
    entry = _first_batch(sqlite_env.ledger)
    edit(
        sqlite_env.url, sql=[f"UPDATE batches SET items = {value} WHERE entry = {entry}"], cypher=[]
    )
    report = verify_ledger(sqlite_env.ledger.store)
    assert not report.ok
    assert {p.kind for p in report.problems} & {ProblemKind.BATCH, ProblemKind.STORE_UNREADABLE}
