"""Fuzzing what the transparency commands read from others: tile paths, witness keys,
signature lines on a checkpoint, a monitor's state file, and what a published log or a
witness sends back. Every input is either accepted as exactly what it says or refused
with one line (exit 2 for input that proves nothing, exit 1 only for a contradiction the
log key signed), never an internal error; a refused monitor run keeps its state file's
bytes, and no witness answer changes what the log stores but a verified cosignature.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.crypto.cosignature import (
    WitnessKey,
    WitnessPolicy,
    cosign,
    cosignatures,
    parse_witness_key,
)
from lineage.crypto.keys import SigningKey
from lineage.crypto.note import Checkpoint
from lineage.errors import CheckpointError, InputError
from lineage.ledger.witnesses import add_witness, load_witnesses, remove_witness
from lineage.transparency.tiles import parse_tile_path

from support.cli import run_cli
from support.ledgers import LedgerEnv, example_envelope
from support.tiles import running, static_server, url_of, write_tiles

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SERVED = settings(FUZZ, max_examples=20)
"""Fewer examples where each one runs the CLI against an HTTP server."""
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
path_alphabet = st.sampled_from(list("tile/entries0123456789x.p/"))


@FUZZ
@given(st.text(path_alphabet, max_size=40) | st.text(max_size=40))
def test_a_tile_path_is_canonical_or_refused(path: str) -> None:
    try:
        tile = parse_tile_path(path)
    except InputError:
        return
    assert tile.path() == path


@FUZZ
@given(st.text(max_size=120))
def test_a_witness_key_is_exactly_what_it_says_or_refused(text: str) -> None:
    try:
        key = parse_witness_key(text)
    except InputError:
        return
    assert key.vkey().lower() == text.strip().lower()


WITNESS_KEY = SigningKey.generate("fuzz-witness")
WITNESS = WitnessKey("w.example", WITNESS_KEY.public)
LOG_KEY = SigningKey.generate("fuzz-log")
CHECKPOINT = Checkpoint("example.test/log", 9, bytes(32))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["w.example", "other.example", "", "w.example x"]),
            st.binary(max_size=90),
        ),
        max_size=4,
    )
)
def test_signature_lines_only_count_when_they_verify(lines: list[tuple[str, bytes]]) -> None:
    note = CHECKPOINT.sign(LOG_KEY)
    text = "".join(
        f"\u2014 {name} {base64.b64encode(WITNESS.key_hash + blob[4:]).decode()}\n"
        for name, blob in lines
    )
    policy = WitnessPolicy((WITNESS,), 1)
    try:
        counted = cosignatures(note + text, [WITNESS])
        policy.check(note + text)
    except CheckpointError:
        return
    assert len(counted) == 1
    valid = note + cosign(CHECKPOINT.text(), "w.example", WITNESS_KEY, 7)
    assert len(policy.check(valid)) == 1


@contextmanager
def monitored(env: LedgerEnv, tmp: Path, state: Path) -> Iterator[tuple[str, list[bytes]]]:
    """The ledger's entries served as tiles from ``tmp/log``, and a first monitor run
    into ``state``: (the URL, the entries)."""
    entries = [body for _, _, body in env.ledger.entries()]
    write_tiles(tmp / "log", entries, env.ledger.origin, env.admin)
    vkey = run_cli("checkpoint", "--verifier-key", "--db", env.url).stdout.strip()
    with static_server(tmp / "log") as server:
        url = url_of(server)
        assert run_cli("monitor", url, "--state", str(state), "--log-key", vkey).exit_code == 0
        yield url, entries


@SERVED
@given(st.data())
def test_a_damaged_monitor_state_is_refused_and_kept(
    sqlite_env: LedgerEnv, tmp_path_factory: Any, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("state")
    state = tmp / "state.json"
    with monitored(sqlite_env, tmp, state) as (url, _):
        raw = json.loads(state.read_text())
        field = data.draw(st.sampled_from(sorted(raw)))
        raw[field] = data.draw(json_values)
        damaged = json.dumps(raw)
        state.write_text(damaged)
        done = run_cli("monitor", url, "--state", str(state))
    if done.exit_code == 0:
        return
    lines = done.stderr.splitlines()
    assert done.exit_code == 2, done.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and "internal" not in lines[0]
    assert state.read_text() == damaged


@SERVED
@given(resource=st.sampled_from(["checkpoint", "bundle"]), body=st.binary(max_size=3000))
def test_whatever_a_published_log_serves_the_monitor_answers_in_one_line(
    sqlite_env: LedgerEnv, tmp_path_factory: Any, resource: str, body: bytes
) -> None:
    env = sqlite_env
    tmp = tmp_path_factory.mktemp("served")
    state = tmp / "state.json"
    with monitored(env, tmp, state) as (url, entries):
        kept = state.read_bytes()
        if resource == "checkpoint":
            (tmp / "log" / "checkpoint").write_bytes(body)
        else:
            grown = [*entries, example_envelope(env.collector, n=3).canonical()]
            write_tiles(tmp / "log", grown, env.ledger.origin, env.admin)
            (tmp / "log" / "tile" / "entries" / f"000.p/{len(grown)}").write_bytes(body)
        done = run_cli("monitor", url, "--state", str(state))
    lines = done.stderr.splitlines()
    assert done.exit_code in (1, 2), done.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and "internal" not in lines[0]
    assert state.read_bytes() == kept


class _Answers(BaseHTTPRequestHandler):
    server: _AnswerServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _AnswerServer(ThreadingHTTPServer):
    answer: tuple[int, bytes]
    daemon_threads = True


@contextmanager
def witness_answering() -> Iterator[_AnswerServer]:
    server = _AnswerServer(("127.0.0.1", 0), _Answers)
    server.answer = (200, b"")
    with running(server):
        yield server


@SERVED
@given(
    status=st.sampled_from([200, 400, 403, 404, 409, 422, 500]),
    body=st.binary(max_size=400)
    | st.text(max_size=200).map(str.encode)
    | st.integers(min_value=0, max_value=10**30).map(lambda n: f"{n}\n".encode()),
)
def test_no_witness_answer_fails_an_append_or_reaches_the_checkpoint(
    sqlite_env: LedgerEnv, status: int, body: bytes
) -> None:
    env = sqlite_env
    with witness_answering() as server:
        if WITNESS.name in load_witnesses(env.ledger.store):
            remove_witness(env.ledger.store, WITNESS.name)
        add_witness(env.ledger.store, WITNESS.name, url_of(server), WITNESS.vkey())
        server.answer = (status, body)
        before = env.ledger.size()
        result = env.ledger.append([("x", example_envelope(env.collector, n=before))], env.admin)
    assert result.size == before + 1
    [state] = result.witnesses
    assert state.status in {"refused", "unreachable"}
    assert env.ledger.latest_checkpoint() == result.checkpoint
