"""`lineage ingest`, `trace`, `impact` and `show` on the hand-built pipeline, by the CLI."""

from __future__ import annotations

import json

import pytest

from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.graph_fixtures import ids, setup_signers
from support.ledgers import LedgerEnv


def test_cli_ingest_trace_impact_show(graph: LedgerEnv) -> None:
    db = ["--db", graph.url]
    result = run_cli("trace", "model:model-a", "--json", *db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["origins"] == 2 and len(data["origins"]) == 2
    streamed = run_cli("trace", "model:model-b", "--jsonl", "--limit", "2", *db)
    lines = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert len(lines) == 3 and lines[-1]["summary"]["origins"] == 3
    by_post = run_cli("impact", "--post", "fb:1", "--json", *db)
    assert json.loads(by_post.stdout)["counts"]["Model"] == 3
    by_author = run_cli("impact", "--author", "ig:user:C", "--json", *db)
    assert json.loads(by_author.stdout)["counts"]["Post"] == 2
    shown = run_cli("show", "model:model-a-ft", "--json", *db)
    assert json.loads(shown.stdout)["kind"] == "Model"
    hops = run_cli("trace", "model:model-a", "--path", "fb:1", "--json", *db)
    assert len(json.loads(hops.stdout)["hops"]) == 6
    table = run_cli("trace", "model:model-b", *db)
    assert "3 origins" in table.stdout and "not-public" in table.stdout
    unknown = run_cli("impact", "--post", "fb:999", *db)
    assert unknown.exit_code == 2 and "no post 'fb:999'" in unknown.output


def test_as_of_shows_the_graph_as_it_stood(graph: LedgerEnv) -> None:
    n = ids(graph)
    before_finetune = "2024-05-08T12:00:00Z"
    result = run_cli("impact", n["fb:1"], "--as-of", before_finetune, "--json", "--db", graph.url)
    assert json.loads(result.stdout)["nodes"]["Model"] == ["model:model-a", "model:model-b"]
    missing = run_cli("trace", "model:model-a-ft", "--as-of", before_finetune, "--db", graph.url)
    assert missing.exit_code == 2 and "at that time" in missing.output


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"event": "origin", "step": "c"}', "events.jsonl:2: must contain"),
        ('{"event": "nope"}', "events.jsonl:2: event: must be one of"),
        (
            '{"event": "drop", "step": "c", "post": "fb:1", "reason": "x", "extra": 1}',
            "events.jsonl:2: must not contain",
        ),
        (
            '{"event": "keep", "step": "zz", "from_post": "fb:1"}',
            "events.jsonl:2: step: no step 'zz' declared",
        ),
        (
            '{"event": "keep", "step": "c", "from_record": "nope"}',
            "events.jsonl:2: unknown record 'nope'",
        ),
        (
            '{"event": "shard", "step": "c", "shard": "s", "sha256": "zz", "size": 1,'
            ' "records": 1}',
            "events.jsonl:2: sha256: must match pattern",
        ),
        ("{not json", "events.jsonl:2: invalid JSON"),
    ],
)
def test_malformed_lines_name_file_line_field(env: LedgerEnv, line: str, expected: str) -> None:
    env.ledger.close()
    setup_signers(env.url, env.keys)
    step = (
        '{"event": "step", "id": "c", "name": "collect", "key": "collector",'
        ' "time": "2024-05-02T00:00:00Z"}'
    )
    (env.root / "events.jsonl").write_text(step + "\n" + line + "\n")
    size = Ledger.open(env.url).size()
    result = run_cli(
        "ingest",
        str(env.root / "events.jsonl"),
        "--db",
        env.url,
        "--keys-dir",
        str(env.root / "keys"),
    )
    assert result.exit_code == 2
    message = result.output.strip()
    assert len(message.splitlines()) == 1
    assert expected in message.replace(str(env.root) + "/", ""), message
    assert Ledger.open(env.url).size() == size


def test_a_node_asserted_again_with_other_attributes_is_refused(graph: LedgerEnv) -> None:
    graph.ledger.close()
    lines = [
        '{"event": "step", "id": "c2", "name": "collect", "key": "collector",'
        ' "time": "2024-06-02T00:00:00Z"}',
        '{"event": "origin", "step": "c2", "post": "fb:1", "platform": "facebook",'
        ' "surface": "feed", "visibility": "friends", "created": "2024-05-01T10:00:00Z",'
        ' "jurisdiction": "US", "author": "fb:user:A", "author_age": "adult"}',
    ]
    (graph.root / "again.jsonl").write_text("\n".join(lines) + "\n")
    size = Ledger.open(graph.url).size()
    result = run_cli(
        "ingest",
        str(graph.root / "again.jsonl"),
        "--db",
        graph.url,
        "--keys-dir",
        str(graph.root / "keys"),
    )
    assert result.exit_code == 2
    assert "was recorded by entry" in result.output and "with other attributes" in result.output
    assert Ledger.open(graph.url).size() == size
    graph.ledger = Ledger.open(graph.url)
