"""Bad input never ends in "internal error": one line on stderr and exit 2 for bad usage,
exit 1 only for failed verification; empty inputs, help text, checkpoints as JSON, near
misses of node ids, typed names, and output piped into ``head``."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import Result

from lineage.crypto.note import open_checkpoint, parse_verifier_key
from lineage.errors import (
    CheckpointError,
    OutOfRangeError,
    ProofLengthError,
    RootMismatchError,
    SignatureError,
)
from lineage.ingest.events import ingest
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger
from lineage.policy import reference_policy_path
from lineage_cli.common import handle_errors
from lineage_cli.main import app

from support.cli import run_cli
from support.graph_fixtures import ids, ingest_hand_built_pipeline, setup_signers
from support.ledgers import LedgerEnv, example_envelope
from support.policy_fixtures import HEAD
from support.stores import sqlite_path

HUGE = str(10**30)
ORIGIN = {
    "event": "origin",
    "step": "k",
    "post": "fb:1",
    "platform": "facebook",
    "surface": "feed",
    "visibility": "public",
    "created": "2024-05-01T10:00:00Z",
    "jurisdiction": "US",
    "author": "fb:user:1",
}
STEP = {
    "event": "step",
    "id": "k",
    "name": "collect",
    "key": "collector",
    "time": "2024-05-02T00:00:00Z",
}


def error_line(result: Result) -> str:
    """The one line a failed command printed (on stderr, nothing on stdout), exit 2."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "internal error" not in lines[0] and result.stdout == ""
    return lines[0]


def keys_of(env: LedgerEnv) -> tuple[str, str]:
    return ("--keys-dir", str(env.root / "keys"))


def ledger_state(url: str) -> tuple[int, list[int]]:
    """The log size and the sizes that have checkpoints."""
    ledger = Ledger.open(url, read_only=True)
    try:
        return ledger.size(), [size for size, _ in ledger.store.checkpoints()]
    finally:
        ledger.close()


def jsonl(*events: dict[str, object]) -> str:
    return "".join(json.dumps(event) + "\n" for event in events)


# -- 12: text that is not UTF-8, and sizes a user gives ------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["impact", "--post", "\udcff"], "--post"),
        (["impact", "--author", "fb:user:\udcff"], "--author"),
        (["show", "--record", "\ud800"], "--record"),
        (["trace", "model:\udcff"], "ARTIFACT"),
        (["trace", "model:model-a", "--path", "fb:\udcff"], "--path"),
        (["trace", "model:model-a", "--as-of", "2024-05-08T00:00:00\udcff"], "--as-of"),
        (["check", "model:\udcff", "--policy", str(reference_policy_path())], "ARTIFACT"),
    ],
)
def test_text_that_is_not_utf8_is_one_line_naming_the_option(
    graph: LedgerEnv, args: list[str], option: str
) -> None:
    graph.ledger.close()
    line = error_line(run_cli(*args, "--db", graph.url))
    assert line == f"error: {option}: is not valid UTF-8 text"


def test_a_store_url_that_is_not_utf8_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_DB", "sqlite:///\udcff.db")
    assert error_line(run_cli("verify")) == "error: --db: is not valid UTF-8 text"


def test_argv_bytes_that_are_not_utf8_are_one_line(graph: LedgerEnv) -> None:
    """``lineage impact --post $'\\xff'`` from a shell: Python decodes argv with
    surrogateescape, so the option holds a lone surrogate."""
    graph.ledger.close()
    done = subprocess.run(
        [sys.executable, "-m", "lineage_cli", "impact", "--post", b"\xff", "--db", graph.url],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr == b"error: --post: is not valid UTF-8 text\n"


@pytest.mark.parametrize(
    "bad",
    [
        json.dumps({**ORIGIN, "post": "\ud800"}).encode(),
        json.dumps(ORIGIN).encode().replace(b"fb:1", b"fb:\xed\xa0\x80"),
        json.dumps(ORIGIN).encode().replace(b"fb:1", b"fb:\xff"),
    ],
)
def test_an_event_that_is_not_utf8_is_one_located_line(env: LedgerEnv, bad: bytes) -> None:
    size = env.ledger.size()
    env.ledger.close()
    events = env.root / "events.jsonl"
    events.write_bytes(jsonl(STEP).encode() + bad + b"\n")
    line = error_line(run_cli("ingest", str(events), "--db", env.url, *keys_of(env)))
    assert line.startswith(f"error: {events}:2: invalid JSON: "), line
    assert ledger_state(env.url)[0] == size


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["checkpoint", "--size", HUGE], "--size"),
        (["checkpoint", "--size", "-1"], "--size"),
        (["proof", "1", "--size", HUGE], "--size"),
        (["consistency", HUGE], "OLD"),
        (["consistency", "1", HUGE], "NEW"),
        (["trace", "model:model-a", "--limit", HUGE], "--limit"),
        (["trace", "model:model-a", "--limit", "-1"], "--limit"),
        (["trace", "model:model-a", "--limit", "many"], "--limit"),
        (["check", "model:model-a", "--policy", "p.toml", "--max-listed", HUGE], "--max-listed"),
        (["ingest", "-", "--batch-size", HUGE, "--keys-dir", "keys"], "--batch-size"),
        (["ingest", "-", "--batch-size", "0", "--keys-dir", "keys"], "--batch-size"),
    ],
)
def test_sizes_a_user_gives_are_bounded(env: LedgerEnv, args: list[str], option: str) -> None:
    size = env.ledger.size()
    env.ledger.close()
    line = error_line(run_cli(*args, "--db", env.url, input=""))
    assert line.startswith(f"error: {option}: ")
    assert ledger_state(env.url)[0] == size


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--seed", HUGE], "--seed"),
        (["--seed", "-1"], "--seed"),
        (["--posts", HUGE], "--posts"),
        (["--posts", "0"], "--posts"),
    ],
)
def test_demo_sizes_are_bounded_before_anything_is_written(
    tmp_path: Path, args: list[str], option: str
) -> None:
    line = error_line(run_cli("demo", "--dir", str(tmp_path / "demo"), *args))
    assert line.startswith(f"error: {option}: ")
    assert not (tmp_path / "demo").exists()


def access_as_a_plain_user(path: str | Path, mode: int, *args: object, **kwargs: object) -> bool:
    """``os.access`` without root's override: the file's owner bits decide, as for a user
    who owns the file (root may write a file whatever its mode)."""
    bits = {os.R_OK: 0o400, os.W_OK: 0o200, os.X_OK: 0o100}
    st_mode = os.stat(path).st_mode
    return all(st_mode & bit for flag, bit in bits.items() if mode & flag)


@pytest.mark.parametrize("command", ["append", "ingest"])
def test_writing_into_a_read_only_database_file_is_one_line(
    sqlite_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The SQLite store opens a file it may not write read-only and refuses to write."""
    env = sqlite_env
    batch = env.root / "batch.jsonl"
    batch.write_bytes(example_envelope(env.collector, n=1).canonical() + b"\n")
    events = env.root / "events.jsonl"
    events.write_text(jsonl(STEP, ORIGIN))
    env.ledger.close()
    database = sqlite_path(env.url)
    before = database.read_bytes()
    database.chmod(0o444)
    if os.geteuid() == 0:
        monkeypatch.setattr(os, "access", access_as_a_plain_user)
    source = batch if command == "append" else events
    line = error_line(run_cli(command, str(source), "--db", env.url, *keys_of(env)))
    assert line == (
        f"error: {database}: opened read-only (the file or its directory is not writable);"
        " nothing can be written to it"
    )
    assert database.read_bytes() == before


# -- 13: exit 1 only when verification fails ------------------------------------------


@pytest.mark.parametrize("entry", ["99999", HUGE])
def test_the_proof_of_an_entry_that_does_not_exist_is_bad_usage(env: LedgerEnv, entry: str) -> None:
    env.ledger.close()
    line = error_line(run_cli("proof", entry, "--db", env.url))
    assert f"entry {entry} does not exist" in line


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (OutOfRangeError("entry 9 does not exist"), 2),
        (RootMismatchError(b"\x01", b"\x02"), 1),
        (ProofLengthError(3, 4), 1),
        (SignatureError("signature does not verify"), 1),
        (CheckpointError("checkpoint does not match"), 1),
    ],
)
def test_only_evidence_that_does_not_check_out_is_exit_1(error: Exception, code: int) -> None:
    @handle_errors
    def command() -> None:
        raise error

    with pytest.raises(typer.Exit) as stopped:
        command()
    assert stopped.value.exit_code == code


# -- 17: empty inputs -------------------------------------------------------------


@pytest.mark.parametrize(("command", "what"), [("append", "envelopes"), ("ingest", "events")])
@pytest.mark.parametrize("content", ["", "\n  \n\t\n"])
def test_an_empty_input_is_refused_unless_allowed(
    env: LedgerEnv, command: str, what: str, content: str
) -> None:
    env.ledger.close()
    before = ledger_state(env.url)
    source = env.root / "input.jsonl"
    source.write_text(content)
    store = ["--db", env.url, *keys_of(env)]
    assert error_line(run_cli(command, str(source), *store)) == f"error: {source}: no {what}"
    assert error_line(run_cli(command, "-", *store, input=content)) == f"error: <stdin>: no {what}"
    allowed = run_cli(command, str(source), "--allow-empty", "--json", *store)
    assert allowed.exit_code == 0, allowed.output
    added = json.loads(allowed.stdout)["added" if command == "append" else "statements_added"]
    assert added == 0
    assert run_cli(command, "-", "--allow-empty", *store, input=content).exit_code == 0
    assert ledger_state(env.url) == before


# -- 20: help text, one-line usage errors, checkpoint --json and --list ----------------


def command_words(command: object = None, words: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The words of every command and group, depth first."""
    command = command or get_command(app)
    found = [words]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(command_words(sub, (*words, name)))
    return found


def test_help_shows_defaults_literally_and_no_metavar_for_flags() -> None:
    paths = command_words()
    assert len(paths) > 20
    for words in paths:
        result = run_cli(*words, "--help")
        assert result.exit_code == 0, words
        text = " ".join(result.stdout.split())
        assert "<bool>" not in text and "Store URL ." not in text, words
        if "--db URL Store URL" in text:
            assert "Store URL [default: sqlite:///" in text, words
        if "--keys-dir" in text:
            assert "[default: lineage-keys beside a SQLite" in text, words
    check = " ".join(run_cli("check", "--help").stdout.split())
    assert "[default: 20; with --json 1000]" in check
    assert "1 when one does (notices never fail the check), 2 on bad input." in check


@pytest.mark.parametrize(
    "args",
    [
        ["trace"],
        ["check", "model:m"],
        ["nosuch"],
        ["--nosuch"],
        ["checkpoint", "--nosuch"],
        ["keys", "list", "--nosuch"],
        ["policy", "register"],
        ["trace", "model:m", "--limit", "many"],
    ],
)
def test_usage_errors_are_one_line(args: list[str]) -> None:
    error_line(run_cli(*args))


def test_checkpoint_as_json_and_the_list_of_checkpoint_sizes(env: LedgerEnv) -> None:
    for n in range(2):
        env.append([example_envelope(env.collector, n=n)])
    env.ledger.close()
    db = ("--db", env.url)
    note = run_cli("checkpoint", *db).stdout
    found = run_cli("checkpoint", "--json", *db)
    assert found.exit_code == 0, found.output
    data = json.loads(found.stdout)
    key = run_cli("checkpoint", "--verifier-key", *db).stdout.strip()
    assert data["note"] == note and data["verifier_key"] == key
    assert json.loads(run_cli("checkpoint", "--verifier-key", "--json", *db).stdout) == {
        "verifier_key": key
    }
    origin, public = parse_verifier_key(key)
    checkpoint = open_checkpoint(note, origin, public)
    assert (data["origin"], data["size"]) == (checkpoint.origin, checkpoint.size)
    assert base64.b64decode(data["root"]) == bytes.fromhex(data["root_hex"]) == checkpoint.root

    listed = run_cli("checkpoint", "--list", *db)
    sizes = [int(line) for line in listed.stdout.splitlines()]
    assert sizes == ledger_state(env.url)[1] and sizes[-1] == data["size"] and len(sizes) >= 4
    assert json.loads(run_cli("checkpoint", "--list", "--json", *db).stdout) == sizes
    for size in sizes:
        at = json.loads(run_cli("checkpoint", "--size", str(size), "--json", *db).stdout)
        assert at["size"] == size and at["verifier_key"] == key
    assert "at most one of" in error_line(run_cli("checkpoint", "--list", "--size", "1", *db))


# -- 22: typed names and near misses ---------------------------------------------------


@pytest.mark.parametrize(
    ("event", "field", "prefix"),
    [
        (
            {"shard": "shard:s1", "sha256": "ab" * 32, "size": 1, "records": 0},
            "shard",
            "shard:",
        ),
        ({"event": "pack", "record": "r1", "shard": "shard:s1"}, "shard", "shard:"),
        ({"event": "dataset", "dataset": "ds:d1", "shards": ["s1"]}, "dataset", "ds:"),
        ({"event": "dataset", "dataset": "d1", "shards": ["shard:s1"]}, "shards", "shard:"),
        ({"event": "model", "model": "model:base", "datasets": ["d1"]}, "model", "model:"),
        ({"event": "model", "model": "m1", "datasets": ["ds:d1"]}, "datasets", "ds:"),
        (
            {"event": "model", "model": "m2", "finetuned_from": "model:m1"},
            "finetuned_from",
            "model:",
        ),
    ],
)
def test_a_name_that_carries_its_type_prefix_is_refused(
    env: LedgerEnv, event: dict[str, object], field: str, prefix: str
) -> None:
    size = env.ledger.size()
    env.ledger.close()
    events = env.root / "events.jsonl"
    events.write_text(jsonl(STEP, {"event": "shard", "step": "k", **event}))
    line = error_line(run_cli("ingest", str(events), "--db", env.url, *keys_of(env)))
    assert line.startswith(f"error: {events}:2: {field}: ")
    assert f"drop the {prefix} prefix" in line
    assert ledger_state(env.url)[0] == size


def test_a_missing_node_suggests_the_nearest_ids_of_its_kind(graph: LedgerEnv) -> None:
    post = ids(graph)["fb:1"]
    typo = post[:-1] + ("0" if post[-1] != "0" else "1")
    graph.ledger.close()
    db = ("--db", graph.url)
    policy = ("--policy", str(reference_policy_path()))
    cases = [
        (["trace", "model:modle-a-ft"], "model:modle-a-ft", "model:model-a-ft"),
        (["trace", "model:model-a", "--path", "post:nope"], "post:nope", None),
        (["show", "shard:shard-c"], "shard:shard-c", "shard:shard-a or shard:shard-b"),
        (["check", "ds:ds-v3", *policy], "ds:ds-v3", "ds:ds-v1 or ds:ds-v2"),
        (["impact", typo], typo, post),
        (["trace", "model:zzz"], "model:zzz", None),
    ]
    for args, missing, near in cases:
        line = error_line(run_cli(*args, *db))
        expected = f"error: no node {missing} in the ledger"
        assert line == (f"{expected} (did you mean {near}?)" if near else expected), line


# -- 23: output piped into head ----------------------------------------------------------


def big_pipeline(env: LedgerEnv, posts: int) -> None:
    """``posts`` posts, each kept as a record packed into one shard a model trained on."""
    env.ledger.close()
    setup_signers(env.url, env.keys)
    events: list[dict[str, object]] = [
        {"event": "step", "id": s, "name": name, "key": key, "time": "2024-05-02T00:00:00Z"}
        for s, name, key in (
            ("c", "collect", "collector"),
            ("v", "visibility", "filter"),
            ("k", "pack", "packer"),
            ("t", "train", "trainer"),
        )
    ]
    for n in range(posts):
        events.append(
            {
                "event": "origin",
                "step": "c",
                "post": f"fb:{n}",
                "platform": "facebook",
                "surface": "feed",
                "visibility": "public",
                "created": "2024-05-01T10:00:00Z",
                "jurisdiction": "US",
                "author": f"fb:user:{n % 97}",
            }
        )
        events.append({"event": "keep", "step": "v", "from_post": f"fb:{n}", "record": f"r{n}"})
    events.append(
        {
            "event": "shard",
            "step": "k",
            "shard": "big",
            "sha256": "ab" * 32,
            "size": 1,
            "records": posts,
        }
    )
    events += [
        {"event": "pack", "step": "k", "record": f"r{n}", "shard": "big"} for n in range(posts)
    ]
    events.append({"event": "model", "step": "t", "model": "big", "shards": ["big"]})
    source = env.root / "big.jsonl"
    source.write_text(jsonl(*events))
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage, source.open("rb") as f:
        ingest(lineage, f, "big.jsonl")


def piped_into_head(*args: str) -> tuple[int, bytes, bytes]:
    """Run ``lineage ARGS | head -1``: lineage's exit status and stderr, and head's output.
    Python's stdout is buffered, as it is for users (with PYTHONUNBUFFERED a single large
    write into a pipe whose reader left is cut short without an error)."""
    lineage = subprocess.Popen(
        [sys.executable, "-m", "lineage_cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
    )
    assert lineage.stdout is not None and lineage.stderr is not None
    head = subprocess.Popen(["head", "-1"], stdin=lineage.stdout, stdout=subprocess.PIPE)
    lineage.stdout.close()
    first, _ = head.communicate(timeout=120)
    errors = lineage.stderr.read()
    lineage.stderr.close()
    return lineage.wait(timeout=120), errors, first


def test_output_piped_into_head_ends_quietly(env: LedgerEnv, tmp_path: Path) -> None:
    big_pipeline(env, 1500)
    policy = tmp_path / "never.toml"
    policy.write_text(HEAD + "[[rules]]\nid='never'\nimplements='x'\nexpr='false'\n")
    db = ("--db", env.url)
    for args in (
        ["trace", "model:big", "--jsonl", "--limit", "0"],
        ["trace", "model:big", "--limit", "0"],
        ["check", "model:big", "--policy", str(policy), "--json", "--max-listed", "1000000"],
    ):
        code, errors, first = piped_into_head(*args, *db)
        assert (code, errors) == (0, b""), (args, errors)
        assert first.strip(), args


def test_stored_strings_are_printed_as_they_are_not_as_markup_or_escapes(
    sqlite_env: LedgerEnv,
) -> None:
    """A drop reason is the pipeline's text: rich markup in it is shown, not parsed (an
    unbalanced closing tag was an internal error), and control characters do not reach
    the terminal."""
    env = ingest_hand_built_pipeline(sqlite_env)
    env.ledger.close()
    reason = "[/bold] [red]x \x1b]0;owned\x07\x9b2J end"
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage:
        step = lineage.step("visibility", key="filter", run="run-2", time="2024-05-03T00:00:00Z")
        step.drop(lineage.post("fb:1"), reason)
    result = run_cli("show", "--post", "fb:1", "--db", env.url)
    assert result.exit_code == 0, result.output
    assert "[/bold] [red]x \ufffd]0;owned\ufffd\ufffd2J end" in result.output
    assert not any(ch in result.output for ch in "\x1b\x07\x9b")
