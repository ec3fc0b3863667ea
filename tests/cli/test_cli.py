"""The CLI end to end through Typer's CliRunner: outputs, exit codes, one-line errors."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from lineage.crypto.merkle.verify import verify_inclusion
from lineage.crypto.note import open_checkpoint, parse_verifier_key

from support.cli import run_cli
from support.ledgers import example_envelope

STATEMENT = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "post:1", "digest": {"sha256": "ab" * 32}}],
    "predicateType": "https://lineage.dev/Lineage/v1",
    "predicate": {
        "step": {"name": "collect", "version": "1", "run": "r1"},
        "time": "2030-01-01T00:00:00Z",
        "nodes": [["Dataset", "ds:cli-1", {}]],
    },
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Path:
    """A working directory with an initialised ledger (on each store, selected by
    ``LINEAGE_DB``) and a registered ``collector`` key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINEAGE_DB", store_url)
    monkeypatch.delenv("LINEAGE_KEYS_DIR", raising=False)
    monkeypatch.delenv("LINEAGE_KEY_PASSPHRASE", raising=False)
    assert run_cli("init").exit_code == 0
    assert run_cli("keys", "new", "collector").exit_code == 0
    assert (
        run_cli(
            "keys",
            "register",
            "collector",
            "--steps",
            "collect,clean",
            "--from",
            "2024-01-01T00:00:00Z",
        ).exit_code
        == 0
    )
    return tmp_path


def signed_lines(cli: Path, count: int, start: int = 0) -> str:
    lines = []
    for n in range(start, start + count):
        statement = json.loads(json.dumps(STATEMENT))
        statement["subject"][0]["name"] = f"ds:cli-{n}"
        statement["predicate"]["nodes"] = [["Dataset", f"ds:cli-{n}", {}]]
        (cli / "st.json").write_text(json.dumps(statement))
        result = run_cli("sign", "--key", "collector", "st.json")
        assert result.exit_code == 0, result.output
        lines.append(result.stdout.strip())
    return "\n".join(lines) + "\n"


def size_of(cli: Path) -> int:
    return int(json.loads(run_cli("verify", "--json").stdout)["size"])


def test_init_writes_an_admin_key_0600_and_a_first_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINEAGE_DB", raising=False)
    result = run_cli("init", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    key_file = Path(info["key_file"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key_file.read_text()
    assert info["store"] == "sqlite:///./lineage.db" and Path("lineage.db").exists()
    assert run_cli("init").exit_code == 2


def test_keys_new_refuses_to_overwrite_and_never_prints_the_key(cli: Path) -> None:
    result = run_cli("keys", "new", "collector")
    assert result.exit_code == 2 and "already exists" in result.output
    fresh = run_cli("keys", "new", "trainer")
    assert "PRIVATE" not in fresh.output and len(fresh.stdout.strip()) == 64


def test_passphrase_protected_keys(cli: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_KEY_PASSPHRASE", "correct horse")
    assert run_cli("keys", "new", "locked").exit_code == 0
    assert "ENCRYPTED" in (cli / "lineage-keys" / "locked.pem").read_text()
    monkeypatch.setenv("LINEAGE_KEY_PASSPHRASE", "wrong")
    result = run_cli("keys", "register", "locked", "--steps", "x")
    assert result.exit_code == 2 and "wrong passphrase" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_sign_append_verify_proof_checkpoint(cli: Path) -> None:
    (cli / "batch.jsonl").write_text(signed_lines(cli, 5))
    result = run_cli("append", "batch.jsonl", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 5
    verified = run_cli("verify")
    assert verified.exit_code == 0 and "verified: 7 entries" in verified.stdout

    note = run_cli("checkpoint").stdout
    vkey = run_cli("checkpoint", "--verifier-key").stdout.strip()
    origin, public = parse_verifier_key(vkey)
    checkpoint = open_checkpoint(note, origin, public)
    assert checkpoint.size == 7

    proof = json.loads(run_cli("proof", "4", "--json").stdout)
    assert proof["checkpoint"] == note
    verify_inclusion(
        4,
        7,
        base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(h) for h in proof["hashes"]],
        checkpoint.root,
    )


def test_append_from_stdin_and_idempotent_rerun(cli: Path) -> None:
    lines = signed_lines(cli, 3)
    assert run_cli("append", "-", input=lines).exit_code == 0
    again = run_cli("append", "-", "--json", input=lines)
    assert json.loads(again.stdout)["added"] == 0 and json.loads(again.stdout)["duplicates"] == 3


@pytest.mark.parametrize(
    "problem", ["bad json", "wrong signature", "unknown key", "bad field", "edited item"]
)
def test_bad_lines_are_named_and_nothing_is_written(cli: Path, problem: str) -> None:
    lines = signed_lines(cli, 3).splitlines()
    if problem == "bad json":
        lines.insert(2, '{"payload": ')
        expected = "batch.jsonl:3: invalid JSON"
    elif problem == "wrong signature":
        line = json.loads(lines[1])
        sig = line["envelope"]["signatures"][0]["sig"]
        line["envelope"]["signatures"][0]["sig"] = ("A" if sig[0] != "A" else "B") + sig[1:]
        lines[1] = json.dumps(line)
        expected = "batch.jsonl:2: signature does not verify"
    elif problem == "unknown key":
        from lineage.crypto.keys import SigningKey

        lines.append(example_envelope(SigningKey.generate("x")).canonical().decode())
        expected = "batch.jsonl:4: statement signed by unknown key"
    elif problem == "bad field":
        line = json.loads(lines[0])
        del line["envelope"]["payloadType"]
        lines[0] = json.dumps(line)
        expected = "batch.jsonl:1: payloadType: must be 'application/vnd.in-toto+json'"
    else:
        line = json.loads(lines[2])
        line["items"][0][1] = "ds:someone-else"
        lines[2] = json.dumps(line)
        expected = "batch.jsonl:3: the batch items do not hash to the root the statement signs"
    (cli / "batch.jsonl").write_text("\n".join(lines) + "\n")
    before = size_of(cli)
    result = run_cli("append", "batch.jsonl")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {expected}" or expected in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert size_of(cli) == before


def test_sign_rejects_a_statement_without_step(cli: Path) -> None:
    bad = json.loads(json.dumps(STATEMENT))
    del bad["predicate"]["step"]
    (cli / "bad.json").write_text(json.dumps(bad))
    result = run_cli("sign", "--key", "collector", "bad.json")
    assert result.exit_code == 2
    assert (
        result.output.strip() == "error: bad.json: predicate.step: must be an object with"
        " name, version and run"
    )


def test_sign_refuses_a_batch_too_large_to_store(cli: Path) -> None:
    big = json.loads(json.dumps(STATEMENT))
    big["predicate"]["nodes"] = [
        ["Dataset", f"ds:big-{n}", {"version": "v" * 1000}] for n in range(3500)
    ]
    (cli / "big.json").write_text(json.dumps(big))
    result = run_cli("sign", "--key", "collector", "big.json")
    assert result.exit_code == 2
    assert result.output.startswith("error: big.json: its nodes and edges take")
    assert "more than 3145728: split them into several statements" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_keys_revoke_then_statements_after_it_are_refused(cli: Path) -> None:
    result = run_cli("keys", "revoke", "collector", "--at", "2029-01-01T00:00:00Z", "--json")
    assert result.exit_code == 0, result.output
    listing = {k["name"]: k for k in json.loads(run_cli("keys", "list", "--json").stdout)}
    assert listing["collector"]["revoked_at"] == "2029-01-01T00:00:00Z"
    assert listing["collector"]["steps"] == ["collect", "clean"]
    (cli / "late.jsonl").write_text(signed_lines(cli, 1))
    refused = run_cli("append", "late.jsonl")
    assert refused.exit_code == 2 and "is revoked at the statement's time" in refused.output
    assert run_cli("keys", "revoke", "collector").exit_code == 2


def test_verify_since_a_kept_checkpoint(cli: Path) -> None:
    kept = cli / "kept.note"
    kept.write_text(run_cli("checkpoint").stdout)
    (cli / "batch.jsonl").write_text(signed_lines(cli, 4))
    run_cli("append", "batch.jsonl")
    ok = run_cli("verify", "--since", str(kept), "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"]
    forged = kept.read_text().replace("\n2\n", "\n3\n")
    kept.write_text(forged)
    bad = run_cli("verify", "--since", str(kept))
    assert bad.exit_code == 1 and "kept checkpoint" in bad.output


def test_verify_with_a_pinned_wrong_log_key_fails(cli: Path) -> None:
    from lineage.crypto.keys import SigningKey
    from lineage.crypto.note import verifier_key

    other = verifier_key("x", SigningKey.generate("x").public)
    result = run_cli("verify", "--log-key", other)
    assert result.exit_code == 1 and "differs from the key you pinned" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "--db", "postgres://nowhere"],
        ["verify", "--db", "sqlite:///does/not/exist.db"],
        ["proof", "999"],
        ["append", "missing.jsonl"],
        ["sign", "--key", "nokey", "missing.json"],
        ["keys", "register", "nokey", "--steps", "a"],
    ],
)
def test_bad_usage_is_one_line_and_exit_2(cli: Path, args: list[str]) -> None:
    result = run_cli(*args)
    assert result.exit_code in (1, 2), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output


def test_env_var_selects_the_store(cli: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = os.environ["LINEAGE_DB"]
    monkeypatch.setenv("LINEAGE_DB", f"sqlite:///{cli / 'other.db'}")
    assert run_cli("init", "--key", "other-admin").exit_code == 0
    assert (cli / "other.db").exists()
    assert json.loads(run_cli("verify", "--json").stdout)["size"] == 1
    monkeypatch.setenv("LINEAGE_DB", first)
    assert size_of(cli) == 2


def test_version_prints_the_library_version() -> None:
    import lineage

    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"lineage {lineage.__version__}"
