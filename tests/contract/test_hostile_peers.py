"""A witness or a published log that answers badly, slowly or maliciously: the append
stands and the answer is recorded, never a traceback or a hang past the timeout; the
monitor reads nothing it has not checked."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lineage.crypto.cosignature import WitnessKey
from lineage.crypto.keys import SigningKey
from lineage.ledger.witnesses import add_witness, load_witnesses

from support.cli import run_cli
from support.ledgers import LedgerEnv, example_envelope
from support.tiles import running, static_server, url_of, write_tiles

ANSWERS: dict[str, tuple[bytes, bytes]] = {
    "superscript-size": (
        b"HTTP/1.1 409 Conflict\r\nContent-Length: 3\r\n\r\n",
        "\u00b2\n".encode(),
    ),
    "huge-size": (b"HTTP/1.1 409 Conflict\r\nContent-Length: 5001\r\n\r\n", b"9" * 5000 + b"\n"),
    "bad-status-line": (b"SUP\r\n\r\n", b""),
    "garbage-200": (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", b"junk"),
    "too-large": (b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n", b"\xe2" * 70000),
    "drip": (b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"x" * 100000),
}


class _Hostile(BaseHTTPRequestHandler):
    server: _HostileServer

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        head, body = ANSWERS[self.server.mode]
        self.wfile.write(head)
        if self.server.mode == "drip":
            for byte in body[:200]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(body)


class _HostileServer(ThreadingHTTPServer):
    mode: str
    daemon_threads = True


@contextmanager
def hostile(mode: str) -> Iterator[str]:
    server = _HostileServer(("127.0.0.1", 0), _Hostile)
    server.mode = mode
    with running(server):
        yield url_of(server)


@pytest.mark.parametrize("mode", sorted(ANSWERS))
def test_a_hostile_witness_cannot_fail_or_hang_an_append(
    env: LedgerEnv, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAGE_WITNESS_TIMEOUT", "1")
    key = WitnessKey("hostile.example", SigningKey.generate("hostile").public)
    with hostile(mode) as url:
        add_witness(env.ledger.store, key.name, url, key.vkey())
        started = time.monotonic()
        result = env.ledger.append([("x", example_envelope(env.collector, n=1))], env.admin)
        assert time.monotonic() - started < 8
    assert result.size == env.ledger.size() == 3
    [state] = result.witnesses
    assert state.status in {"refused", "unreachable"} and state.size == 0
    assert load_witnesses(env.ledger.store)[key.name].status == state.status
    printed = run_cli("checkpoint", "--db", env.url)
    assert printed.stdout == env.ledger.latest_checkpoint()


def test_the_monitor_rechecks_entries_it_verified_before(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    env = sqlite_env
    env.append([example_envelope(env.collector, n=n) for n in range(3)])
    entries = [body for _, _, body in env.ledger.entries()]
    later = example_envelope(env.collector, n=50).canonical()
    state = tmp_path / "state.json"
    origin, key = env.ledger.origin, env.admin
    write_tiles(tmp_path / "first", entries, origin, key)
    vkey = run_cli("checkpoint", "--verifier-key", "--db", env.url).stdout.strip()
    with static_server(tmp_path / "first") as server:
        url = url_of(server)
        assert run_cli("monitor", url, "--state", str(state), "--log-key", vkey).exit_code == 0
        swapped = tmp_path / "swapped"
        write_tiles(swapped, [*entries, later], origin, key)
        forged = example_envelope(env.collector, n=77).canonical()
        honest_bundle = (swapped / "tile/entries/000.p/6").read_bytes()
        tampered = honest_bundle.replace(
            entries[4], forged[: len(entries[4])].ljust(len(entries[4]))
        )
        assert tampered != honest_bundle
        (swapped / "tile/entries/000.p/6").write_bytes(tampered)
        server.root = swapped
        done = run_cli("monitor", url, "--state", str(state))
    assert done.exit_code == 1
    assert "entry 4 is not the one verified before" in done.stderr


@pytest.mark.parametrize(
    "change",
    [
        {"size": 1e400},
        {"size": True},
        {"size": -1},
        {"border": ["AAAA"]},
        {"tail": []},
        {"checkpoint": "garbage"},
        {"log_key": "a+b+c"},
        {"key_entries": [[0, "!!"]]},
    ],
)
def test_a_damaged_state_file_is_named(
    sqlite_env: LedgerEnv, tmp_path: Path, change: dict[str, object]
) -> None:
    env = sqlite_env
    entries = [body for _, _, body in env.ledger.entries()]
    write_tiles(tmp_path / "log", entries, env.ledger.origin, env.admin)
    state = tmp_path / "state.json"
    vkey = run_cli("checkpoint", "--verifier-key", "--db", env.url).stdout.strip()
    with static_server(tmp_path / "log") as server:
        url = url_of(server)
        assert run_cli("monitor", url, "--state", str(state), "--log-key", vkey).exit_code == 0
        raw = json.loads(state.read_text())
        raw.update(change)
        state.write_text(json.dumps(raw))
        done = run_cli("monitor", url, "--state", str(state))
    assert done.exit_code == 2
    assert "not a monitor state file" in done.stderr and str(state) in done.stderr


def test_an_unsigned_checkpoint_is_a_read_error_not_an_inconsistency(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    env = sqlite_env
    portal = tmp_path / "portal"
    portal.mkdir()
    (portal / "checkpoint").write_text("<html>log in to the Wi-Fi</html>\n")
    vkey = run_cli("checkpoint", "--verifier-key", "--db", env.url).stdout.strip()
    with static_server(portal) as server:
        done = run_cli("monitor", url_of(server), "--state", str(tmp_path / "s"), "--log-key", vkey)
    assert done.exit_code == 2 and "not a checkpoint signed by the log key" in done.stderr
