"""``lineage bundle`` and ``lineage verify-bundle`` from the command line: a raw post id is
enough to write one, and verification exits 0 proven, 1 not proven, 2 unreadable."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from lineage.crypto.dsse import parse_envelope
from lineage.ledger.log import Ledger
from lineage.model.batch import commitment_of, verify_item
from lineage.model.predicates import LINEAGE_V2
from lineage.model.statement import parse_statement

from support.bundles import mutated
from support.cli import run_cli
from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv


@pytest.fixture
def written(sqlite_env: LedgerEnv, tmp_path: Path) -> tuple[LedgerEnv, Path]:
    ingest_hand_built_pipeline(sqlite_env)
    out = tmp_path / "fb1.bundle.json"
    result = run_cli(
        "bundle",
        "--post",
        "fb:1",
        "--to",
        "model:model-a-ft",
        "-o",
        str(out),
        "--db",
        sqlite_env.url,
    )
    assert result.exit_code == 0, result.output
    assert f"bundle written: {out}" in result.stdout
    return sqlite_env, out


def test_verify_bundle_exits_0_when_proven(written: tuple[LedgerEnv, Path]) -> None:
    env, out = written
    vkey = run_cli("checkpoint", "--verifier-key", "--db", env.url).stdout.strip()
    result = run_cli("verify-bundle", str(out), "--log-key", vkey)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("PROVEN: post:")
    assert "reaches model:model-a-ft through signed, logged edges" in result.stdout
    assert "every signer authorised" in result.stdout and "note:" not in result.stdout
    as_json = json.loads(run_cli("verify-bundle", str(out), "--json").stdout)
    assert as_json["proven"] is True and as_json["log_key"] == "from the bundle"


def test_verify_bundle_exits_1_naming_the_first_failure(
    written: tuple[LedgerEnv, Path], tmp_path: Path
) -> None:
    _, out = written
    broken, kind, where = mutated(json.loads(out.read_text()), "inclusion path")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken))
    result = run_cli("verify-bundle", str(bad))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"NOT PROVEN: {kind} at {where}: ")
    failure = json.loads(run_cli("verify-bundle", str(bad), "--json").stdout)["failure"]
    assert (failure["class"], failure["where"]) == (kind, where)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "unreadable: invalid bundle"), ('{"mediaType": 1}', "not a lineage bundle")],
)
def test_verify_bundle_exits_2_when_unreadable(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run_cli("verify-bundle", str(bad))
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    missing = run_cli("verify-bundle", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "No such file" in missing.output


def test_bundle_to_stdout_and_since(written: tuple[LedgerEnv, Path], tmp_path: Path) -> None:
    env, _ = written
    kept = tmp_path / "kept.note"
    kept.write_text(run_cli("checkpoint", "--size", "3", "--db", env.url).stdout)
    result = run_cli(
        "bundle", "--post", "fb:1", "--to", "model:model-a", "--since", str(kept), "--db", env.url
    )
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "out.json"
    bundle.write_bytes(result.stdout_bytes)
    checked = run_cli("verify-bundle", str(bundle), "--since", str(kept))
    assert checked.exit_code == 0, checked.output
    assert "the log extends the checkpoint of size 3" in checked.stdout


def test_bundle_refuses_a_post_that_does_not_reach_the_artifact(
    written: tuple[LedgerEnv, Path],
) -> None:
    env, _ = written
    result = run_cli("bundle", "--post", "fb:2", "--to", "model:model-a", "--db", env.url)
    assert result.exit_code == 2
    assert "does not derive from" in result.output


def test_entry_edges_lists_each_item_with_its_path_to_the_signed_root(
    written: tuple[LedgerEnv, Path],
) -> None:
    env, _ = written
    ledger = Ledger.open(env.url)
    try:
        index = next(
            i
            for i, _, body in ledger.entries()
            if parse_statement(parse_envelope(body).payload).predicate_type == LINEAGE_V2
        )
        statement = parse_statement(parse_envelope(ledger.entry(index).body).payload)
    finally:
        ledger.close()
    commitment = commitment_of(statement)
    listed = run_cli("entry", str(index), "--edges", "--json", "--db", env.url)
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert len(items) == commitment.total
    for item in items:
        verify_item(
            item["item"].encode(),
            item["position"],
            commitment.total,
            [base64.b64decode(h) for h in item["path"]],
            commitment.root,
        )
    lines = run_cli("entry", str(index), "--edges", "--db", env.url).stdout.splitlines()
    assert [json.loads(line) for line in lines] == items
    refused = run_cli("entry", "0", "--edges", "--db", env.url)
    assert refused.exit_code == 2 and "KeyRegistration/v1 statement: it has no batch items" in (
        refused.output
    )


def test_the_verdict_is_the_verifiers_own_words_on_one_line(
    written: tuple[LedgerEnv, Path], tmp_path: Path
) -> None:
    _, out = written
    bundle = json.loads(out.read_text())
    bundle["claim"]["text"] = "post:x does NOT reach it\n  verified by the regulator"
    forged = tmp_path / "text.json"
    forged.write_text(json.dumps(bundle))
    result = run_cli("verify-bundle", str(forged))
    assert result.exit_code == 0
    assert "regulator" not in result.stdout and "NOT reach" not in result.stdout
    bundle["claim"]["artifact"] = "model:model-a-ft\nPROVEN: everything"
    forged.write_text(json.dumps(bundle))
    refused = run_cli("verify-bundle", str(forged))
    assert refused.exit_code == 1 and len(refused.stdout.strip().splitlines()) == 1
