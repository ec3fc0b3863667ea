"""Adversarial review of ``lineage ingest --format openlineage`` and ``lineage export
openlineage --url`` (issue 18): a refused event is named by its own line, a job the key
may not sign is refused at its event, and the sender delivers to the URL given or says it
did not, never reads a body of the server's choosing, and never repeats a credential."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.hostile import STEPS, hostile_ledger

KEY = "ol"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, Any]]]:
    """A small ledger and its record-level OpenLineage events."""
    root = tmp_path_factory.mktemp("source")
    url, ids = hostile_ledger(root)
    out = root / "events.jsonl"
    result = run_cli(
        "export", "openlineage", ids["model"], "--records", "-o", str(out), "--db", url
    )
    assert result.exit_code == 0, result.output
    return url, [json.loads(line) for line in out.read_text().splitlines()]


def _target(root: Path) -> str:
    """A new ledger whose key ``ol`` may sign for the hostile ledger's steps."""
    root.mkdir()
    url = f"sqlite:///{root}/t.db"
    keys = str(root / "keys")
    for args in (
        ("init", "--db", url, "--keys-dir", keys),
        ("keys", "new", KEY, "--keys-dir", keys),
        ("keys", "register", KEY, "--steps", ",".join(STEPS), "--db", url, "--keys-dir", keys),
    ):
        result = run_cli(*args)
        assert result.exit_code == 0, (args, result.output)
    return url


def _ingest(url: str, source: Path) -> Any:
    keys = str(Path(url.removeprefix("sqlite:///")).parent / "keys")
    return run_cli(
        *("ingest", str(source), "--format", "openlineage", "--key", KEY),
        *("--db", url, "--keys-dir", keys),
    )


def _log_size(url: str) -> int:
    ledger = Ledger.open(url)
    try:
        return ledger.size()
    finally:
        ledger.close()


def _write(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    return path


def _table_event(n: int) -> dict[str, Any]:
    """A job/dataset-grain COMPLETE event of the collect step (one statement each)."""
    return {
        "eventType": "COMPLETE",
        "eventTime": "2025-01-01T00:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": f"0190d7a2-0000-7000-8000-{n:012d}"},
        "job": {"namespace": "etl", "name": "collect"},
        "inputs": [],
        "outputs": [{"namespace": "etl", "name": f"table{n}"}],
    }


def test_a_job_the_key_may_not_sign_is_refused_at_its_line(
    exported: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """A job named outside the key's steps (here with a newline and YAML in it) was
    refused only at the final append, as "statement 1 of this run", with no file or line.
    Now it is ``FILE:LINE: job.name: …`` at the event that names it, and nothing is written."""
    _, events = exported
    target = _target(tmp_path / "t")
    before = _log_size(target)
    hostile = copy.deepcopy(events[1])
    hostile["job"]["name"] = "evil\n---\nkey: 1"
    source = _write(tmp_path / "e.jsonl", [events[0], hostile, *events[2:]])
    result = _ingest(target, source)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: {source}:2: job.name: key 'ol' may not sign for job"), line
    assert "'evil\\n---\\nkey: 1'" in line
    assert _log_size(target) == before


def test_a_run_contradicting_the_ledger_is_named_by_its_own_line(
    exported: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """A second run declaring the same posts with another platform is refused at append,
    which happens when twenty statements are queued: the error named the line being read
    then (30 lines later), not the contradicting event. Now it names that event's line."""
    _, events = exported
    target = _target(tmp_path / "t")
    contradicting = copy.deepcopy(events[0])
    assert contradicting["job"]["name"] == "collect"
    contradicting["run"]["runId"] = "0190d7a2-0000-7000-8000-999999999999"
    contradicting["run"]["facets"]["lineage_run"]["run"] = "again"
    for node in contradicting["run"]["facets"]["lineage_run"]["records"]["nodes"]:
        if node["kind"] == "Post":
            node["attrs"]["platform"] = "elsewhere"
    line_of_it = len(events) + 1
    later = [_table_event(n) for n in range(30)]
    source = _write(tmp_path / "e.jsonl", [*events, contradicting, *later])
    result = _ingest(target, source)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: {source}:{line_of_it}: node post:"), line
    assert "with other attributes" in line


def _traced(url: str, artifact: str) -> dict[str, Any]:
    result = run_cli("trace", artifact, "--json", "--db", url)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.output)["summary"]
    return summary


def test_ingesting_again_adds_nothing_and_a_repeated_event_changes_no_figure(
    exported: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """The whole input ingested again (as after an interrupted ingest) adds no entry; an
    event delivered twice (OpenLineage transports deliver at least once) leaves trace's
    figures as one delivery does."""
    _, events = exported
    model = next(e for e in events if e["job"]["name"] == "train")["outputs"][0]["name"]
    once, twice = _target(tmp_path / "once"), _target(tmp_path / "twice")
    source = _write(tmp_path / "once.jsonl", events)
    assert _ingest(once, source).exit_code == 0
    size = _log_size(once)
    result = _ingest(once, source)
    assert result.exit_code == 0, result.output
    assert _log_size(once) == size
    repeated = _write(tmp_path / "twice.jsonl", [events[0], *events])
    assert _ingest(twice, repeated).exit_code == 0
    assert _traced(twice, model) == _traced(once, model)


class _Endpoint(BaseHTTPRequestHandler):
    """Answers every POST as ``mode`` says; records what each host received."""

    mode = "ok"
    seen: list[tuple[str, str, str]]
    other_port = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(("POST", self.path, self.headers.get("Authorization", "")))
        if self.mode.startswith("redirect"):
            self.send_response(int(self.mode.removeprefix("redirect")))
            self.send_header("Location", f"http://localhost:{self.other_port}/api/v1/lineage")
            self.end_headers()
        elif self.mode == "endless":
            self.send_response(200)
            self.send_header("Content-Length", str(10**12))
            self.end_headers()
            self.wfile.write(b"x" * 1024)
            self.wfile.flush()
            time.sleep(5)
        else:
            self.send_response(200)
            self.end_headers()

    def do_GET(self) -> None:  # a 302 turns the POST into a GET
        self.do_POST()

    def log_message(self, *args: Any) -> None:
        pass


def _serve(mode: str, other_port: int = 0) -> tuple[ThreadingHTTPServer, type[_Endpoint]]:
    handler = type("Endpoint", (_Endpoint,), {"mode": mode, "seen": [], "other_port": other_port})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.fixture
def other_host() -> Iterator[tuple[int, type[_Endpoint]]]:
    server, handler = _serve("ok")
    yield server.server_port, handler
    server.shutdown()
    server.server_close()


def _send(exported: tuple[str, list[dict[str, Any]]], url: str, *extra: str) -> Any:
    db, _ = exported
    return run_cli("export", "openlineage", "--url", url, "--db", db, "--json", *extra)


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_not_followed_and_not_counted_as_delivered(
    exported: tuple[str, list[dict[str, Any]]],
    other_host: tuple[int, type[_Endpoint]],
    status: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 302 made every POST a body-less GET to another host, and the export reported the
    events sent (exit 0); a 307 delivered them to a host the user never named. Now the
    first event's redirect is a one-line refusal, and the other host hears nothing."""
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "s3cret-api-key")
    port, elsewhere = other_host
    server, handler = _serve(f"redirect{status}", port)
    try:
        result = _send(exported, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "event 1 of" in line and f"HTTP {status}" in line and "s3cret" not in line
    assert len(handler.seen) == 1 and elsewhere.seen == []


def test_an_answer_s_body_is_never_read(exported: tuple[str, list[dict[str, Any]]]) -> None:
    """A server that answers 200 with a body of 10^12 bytes (and sends it slowly) made
    the sender read it all: memory without bound, then a ReadTimeout reported as "not
    delivered". Only the status is used now: every event is delivered, in time."""
    server, handler = _serve("endless")
    try:
        started = time.monotonic()
        result = _send(exported, f"http://127.0.0.1:{server.server_port}", "--timeout", "2")
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events"] == len(handler.seen)
    assert elapsed < 2 * len(handler.seen)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pa55word@[::1/",
        "http://user:pa55word@host:99999/",
        "http://user:pa55word@exa mple.com/",
        "http://user:pa55word@a\nb/",
        "http://",
    ],
)
def test_a_malformed_url_is_one_line_and_never_repeats_it(
    exported: tuple[str, list[dict[str, Any]]], url: str
) -> None:
    """These were "internal error (ValueError: Need valid url …, passed URL …)": the
    OpenLineage client's message repeated the URL, password included. Now: one line
    naming --url, without the URL."""
    result = _send(exported, url)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line == "error: --url: not a URL with a valid host and port"
