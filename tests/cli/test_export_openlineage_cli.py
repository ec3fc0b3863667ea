"""``lineage export openlineage`` and ``lineage ingest --format openlineage`` from the
command line: the file, the events sent to an HTTP endpoint (a local server recording
what it receives), and bad input refused in one line with nothing written."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.demo import run_demo
from support.policy_fixtures import POLICY
from support.stores import fresh_store_url

TOKEN = "s3cret-api-key"


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]]
    headers_seen: list[str]
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        type(self).headers_seen.append(self.headers.get("Authorization", ""))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Recorder", (_Recorder,), {"bodies": [], "headers_seen": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo(tmp_path: Path) -> tuple[str, str]:
    url = fresh_store_url("sqlite", tmp_path)
    return url, run_demo(url, tmp_path).model


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_file_holds_one_event_per_step_run(demo: tuple[str, str], tmp_path: Path) -> None:
    url, model = demo
    out = tmp_path / "events.jsonl"
    result = run_cli("export", "openlineage", model, "-o", str(out), "--db", url, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    events = lines(out)
    assert summary["events"] == summary["step_runs"] == len(events)
    assert len({e["run"]["runId"] for e in events}) == len(events)
    assert {e["job"]["name"] for e in events} >= {"collect", "pack", "train"}
    named = tmp_path / "named.jsonl"
    run_cli("export", "openlineage", model, "-o", str(named), "--namespace", "ns1", "--db", url)
    assert {e["job"]["namespace"] for e in lines(named)} == {"ns1"}


def test_url_posts_the_file_s_events_with_the_key_and_never_prints_it(
    demo: tuple[str, str],
    tmp_path: Path,
    receiver: tuple[str, type[_Recorder]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, model = demo
    endpoint, recorder = receiver
    monkeypatch.setenv("OPENLINEAGE_API_KEY", TOKEN)
    out = tmp_path / "events.jsonl"
    result = run_cli(
        "export",
        "openlineage",
        model,
        "--records",
        "-o",
        str(out),
        "--url",
        endpoint,
        "--db",
        url,
    )
    assert result.exit_code == 0, result.output
    assert recorder.bodies == lines(out)
    assert recorder.headers_seen == [f"Bearer {TOKEN}"] * len(recorder.bodies)
    assert TOKEN not in result.output


def test_a_refusing_endpoint_is_one_line_and_exit_2(
    demo: tuple[str, str], receiver: tuple[str, type[_Recorder]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, model = demo
    endpoint, recorder = receiver
    recorder.status = 403
    monkeypatch.setenv("OPENLINEAGE_API_KEY", TOKEN)
    result = run_cli("export", "openlineage", model, "--url", endpoint + "/?k=v", "--db", url)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {endpoint}/: event 1 of {result.output.split(' of ')[1].split()[0]}"
        " refused (HTTP 403)"
    ]
    assert TOKEN not in result.output and "k=v" not in result.output


def test_no_destination_is_refused(demo: tuple[str, str]) -> None:
    url, model = demo
    result = run_cli("export", "openlineage", model, "--db", url)
    assert result.exit_code == 2 and "give -o FILE, --url URL or both" in result.output


def _target(tmp_path: Path) -> str:
    """A new ledger whose key ``ol`` may sign for collect, pack and train."""
    target = fresh_store_url("sqlite", tmp_path / "t")
    (tmp_path / "t").mkdir()
    keys = str(tmp_path / "t" / "lineage-keys")
    for args in (
        ("init", "--db", target, "--keys-dir", keys),
        ("keys", "new", "ol", "--keys-dir", keys),
        ("keys", "register", "ol", "--steps", "collect,pack,train,scrape", "--db", target),
    ):
        result = run_cli(*args)
        assert result.exit_code == 0, (args, result.output)
    return target


def _event(job: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2025-01-01T00:00:00Z",
        "producer": "https://example.com/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": f"0190d7a2-0000-7000-8000-00000000000{len(job)}"},
        "job": {"namespace": "etl", "name": job},
        "inputs": inputs,
        "outputs": outputs,
    }


SHARD = {
    "namespace": "etl",
    "name": "shard:s1",
    "facets": {"version": {"datasetVersion": "ab" * 32}},
    "outputFacets": {"outputStatistics": {"rowCount": 10, "size": 100}},
}


def _ingest(tmp_path: Path, target: str, source: Path, *extra: str) -> Any:
    keys = str(tmp_path / "t" / "lineage-keys")
    return run_cli(
        *("ingest", str(source), "--format", "openlineage", "--key", "ol"),
        *("--db", target, "--keys-dir", keys, *extra),
    )


def _log_size(url: str) -> int:
    ledger = Ledger.open(url)
    try:
        return ledger.size()
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "events.jsonl:2: "),
        (
            json.dumps({**_event("pack", [], [SHARD]), "eventType": "DONE"}),
            "events.jsonl:2: eventType: must be one of COMPLETE, RUNNING",
        ),
        (
            json.dumps({**_event("pack", [], [SHARD]), "eventTime": "yesterday"}),
            "events.jsonl:2: eventTime: 'yesterday' is not an RFC 3339",
        ),
        (
            json.dumps(
                _event("pack", [{"namespace": "etl", "name": "t"}], [{**SHARD, "facets": {}}])
            ),
            "events.jsonl:2: outputs[0]: a shard needs facets.version.datasetVersion",
        ),
        (
            json.dumps(
                _event(
                    "train",
                    [{"namespace": "etl", "name": "t"}],
                    [{"namespace": "etl", "name": "model:m"}],
                )
            ),
            "events.jsonl:2: outputs[0]: a model cannot be made from rec:dataset.t.",
        ),
        (
            json.dumps(
                {
                    **_event("pack", [], [SHARD]),
                    "run": {"runId": "r", "facets": {"lineage_run": {"step": "pack"}}},
                }
            ),
            "events.jsonl:2: run.facets.lineage_run: must contain",
        ),
        ("x" * (4 * 1024 * 1024 + 1), "events.jsonl:2: line is longer than"),
    ],
)
def test_bad_events_are_one_line_and_write_nothing(tmp_path: Path, line: str, message: str) -> None:
    target = _target(tmp_path)
    before = _log_size(target)
    good = json.dumps(_event("scrape", [], [{"namespace": "etl", "name": "t"}]))
    source = tmp_path / "events.jsonl"
    source.write_text(good + "\n" + line + "\n")
    result = _ingest(tmp_path, target, source)
    assert result.exit_code == 2
    [shown] = result.output.strip().splitlines()
    assert shown.startswith("error: ") and shown.replace(str(tmp_path) + "/", "").startswith(
        "error: " + message
    ), shown
    assert _log_size(target) == before


def test_format_openlineage_needs_a_key(tmp_path: Path) -> None:
    source = tmp_path / "e.jsonl"
    source.write_text("")
    result = run_cli("ingest", str(source), "--format", "openlineage")
    assert result.exit_code == 2 and "--key" in result.output


def test_job_grain_events_ingest_and_check_finds_unknown_origins(tmp_path: Path) -> None:
    target = _target(tmp_path)
    table = {"namespace": "etl", "name": "warehouse.posts"}
    events = [
        _event("scrape", [], [table]),
        _event("pack", [table], [SHARD]),
        _event(
            "train",
            [{"namespace": "etl", "name": "shard:s1"}],
            [{"namespace": "etl", "name": "model:m"}],
        ),
    ]
    source = tmp_path / "events.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = _ingest(tmp_path, target, source, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events"] == 3
    checked = run_cli("check", "model:m", "--policy", str(POLICY), "--db", target, "--json")
    assert checked.exit_code == 1
    report = json.loads(checked.output)
    # the shard's ten records are known only as one record standing for the table
    unknown = [f for f in report["findings"] if f["rule"] == "unknown-origin"]
    assert [f["record"][:28] for f in unknown] == ["rec:dataset.warehouse.posts."]
    assert {f["rule"] for f in report["findings"]} == {"unknown-origin", "incomplete-lineage"}
