"""OpenLineage out and in, on every store: every exported event validates against the
spec's schemas and the lineage_run facet's; one COMPLETE event per step run with the
counts the demo made and the report computes; exporting again gives the same bytes; a
record-level export ingested into an empty ledger answers trace and check as the
original does; events without record-level lineage leave unknown origins for check."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from lineage.crypto.keys import KeyDirectory
from lineage.demo.simulate import FINETUNED_AT, LATER, REQUESTS_STAGE, STAGES
from lineage.export.openlineage import ExportOptions, event_line, openlineage_events
from lineage.ingest.openlineage import ingest_openlineage
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger
from lineage.model.graph import DATASET, MODEL, POST, RECORD, SHARD
from lineage.model.openlineage_facet import FACET_NAME
from lineage.policy.check import UNKNOWN_ORIGIN, check
from lineage.policy.document import read_policy
from lineage.query.trace import Trace
from lineage.report.artifact import artifact_report

from support.demo import run_demo
from support.openlineage import validate_event
from support.policy_fixtures import POLICY
from support.stores import fresh_store_url

STEP_NAMES = [*STAGES, REQUESTS_STAGE]


def export(url: str, artifact: str | None, **options: Any) -> list[dict[str, Any]]:
    ledger = Ledger.open(url)
    try:
        events = openlineage_events(ledger, artifact, ExportOptions(**options))
    finally:
        ledger.close()
    return [json.loads(event_line(event)) for event in events]


def facet(event: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = event["run"]["facets"][FACET_NAME]
    return value


def empty_ledger(root: Path, url: str) -> Path:
    """A new ledger at ``url`` with key ``ol`` registered for every demo step."""
    keys = KeyDirectory(root / "keys")
    admin, signer = keys.create("admin"), keys.create("ol")
    ledger = Ledger.create(url, admin)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    ledger.register_key(admin, "ol", signer.public, STEP_NAMES, valid_from=since)
    ledger.close()
    return root / "keys"


def ingest(url: str, keys: Path, events: list[dict[str, Any]]) -> int:
    lines = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    lineage = Lineage.open(url, keys_dir=keys)
    try:
        return ingest_openlineage(lineage, BytesIO(lines), "events.jsonl", "ol")
    finally:
        lineage.close()


def test_every_event_validates_against_the_spec_and_the_facet_schema(
    store_url: str, tmp_path: Path
) -> None:
    run = run_demo(store_url, tmp_path)
    for artifact in (run.model, None):
        for records in (False, True):
            events = export(store_url, artifact, records=records)
            assert events
            for event in events:
                assert validate_event(event) >= 4  # nominal time, engine, lineage_run, job type
                assert "records" in facet(event) if records else "records" not in facet(event)


def test_one_event_per_step_run_with_the_demo_s_counts(store_url: str, tmp_path: Path) -> None:
    run = run_demo(store_url, tmp_path)
    events = export(store_url, None)
    runs = Counter((facet(e)["step"], facet(e)["run"]) for e in events)
    assert all(n == 1 for n in runs.values())
    assert {step for step, _ in runs} == set(STEP_NAMES)
    assert len(runs) == len(STAGES) + 2  # the requests are recorded by two runs
    by_step = {facet(e)["step"]: e for e in events if facet(e)["step"] != REQUESTS_STAGE}
    for stage, counted in run.stages.items():
        made = facet(by_step[stage])
        kind = {"collect": POST, "pack": SHARD, "dataset": DATASET}.get(stage, RECORD)
        if stage in ("train", "finetune"):
            kind = MODEL
        kept = counted.kept if kind in (POST, RECORD) else made["kept"].get(kind)
        assert made["kept"].get(kind) == kept
        dropped = {reason: n for (s, reason), n in run.drops.items() if s == stage}
        assert made["dropped"] == dropped
    requests = Counter[str]()
    for event in events:
        requests.update(facet(event)["requests"])
    recorded = Counter[str]()
    for (kind, _), n in run.requests.items():
        recorded[kind] += n
    assert requests == recorded
    shards = [o["name"] for o in by_step["pack"]["outputs"] if o["name"].startswith("shard:")]
    assert sorted(shards) == sorted([s.id for s in run.shards] + [run.finetune_shard.id])


def test_an_artifact_s_events_count_what_its_report_counts(store_url: str, tmp_path: Path) -> None:
    run = run_demo(store_url, tmp_path)
    events = export(store_url, run.model)
    ledger = Ledger.open(store_url)
    try:
        report = artifact_report(ledger, run.model)
        size = ledger.size()
    finally:
        ledger.close()
    complete = [e for e in events if e["eventType"] == "COMPLETE"]
    assert len(complete) == len(events)
    exported = {(facet(e)["step"], facet(e)["version"], facet(e)["run"]): facet(e) for e in events}
    for step_run in report.pipeline.runs:
        made = exported.pop(step_run.key)
        assert made["kept"] == dict(step_run.declared)
        assert made["dropped"] == dict(step_run.dropped)
        assert set(step_run.entries) <= set(made["entries"])
        assert made["checkpoint"]["size"] == size
    # what remains: the run that recorded requests about the model's origins and authors
    assert [key[0] for key in exported] == [REQUESTS_STAGE]
    ids = {e["run"]["runId"] for e in events}
    assert len(ids) == len(events)


def test_exporting_again_gives_the_same_bytes(store_url: str, tmp_path: Path) -> None:
    run = run_demo(store_url, tmp_path)
    first = export(store_url, run.model, records=True, max_items=300)
    assert len(first) > len({e["run"]["runId"] for e in first})  # split into parts
    assert export(store_url, run.model, records=True, max_items=300) == first


def _check(url: str, artifact: str) -> dict[str, Any]:
    ledger = Ledger.open(url)
    try:
        report = check(ledger.store, artifact, read_policy(POLICY)).to_json()
    finally:
        ledger.close()
    return {
        "ok": report["ok"],
        "origins": report["origins"],
        "records": report["records"],
        "violations": report["violations"],
        "notices": report["notices"],
        "rules": report["rules"],
        "by_rule": Counter(f["rule"] for f in report["findings"] + report["notice_findings"]),
    }


def _trace(url: str, artifact: str) -> dict[str, Any]:
    ledger = Ledger.open(url)
    try:
        return Trace(ledger.store, artifact).finish().to_json()
    finally:
        ledger.close()


def _artifacts(url: str) -> dict[str, list[str]]:
    ledger = Ledger.open(url)
    try:
        return {
            kind: sorted(row.id for row in ledger.store.nodes_of_kind(kind, 10_000)[1])
            for kind in (SHARD, DATASET, MODEL)
        }
    finally:
        ledger.close()


def _counts(events: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    return {
        (facet(e)["step"], facet(e)["version"], facet(e)["run"]): (
            facet(e)["kept"],
            facet(e)["dropped"],
            facet(e)["requests"],
        )
        for e in events
        if e["eventType"] == "COMPLETE"
    }


def test_a_record_level_export_ingested_elsewhere_answers_the_same(
    store_url: str, tmp_path: Path
) -> None:
    run = run_demo(store_url, tmp_path / "source", leak="objection")
    events = export(store_url, run.model, records=True, max_items=400)
    target = fresh_store_url("sqlite", tmp_path / "target")
    (tmp_path / "target").mkdir(exist_ok=True)
    ingest(target, empty_ledger(tmp_path / "target", target), events)
    assert _trace(target, run.model) == _trace(store_url, run.model)
    before, after = _check(store_url, run.model), _check(target, run.model)
    assert after == before
    assert before["by_rule"]["objection-honoured"] or before["violations"]
    assert _artifacts(target) == {
        kind: ids for kind, ids in _artifacts(store_url).items() if kind != MODEL
    } | {MODEL: [run.model]}
    assert _counts(export(target, run.model)) == _counts(export(store_url, run.model))


def test_events_without_record_level_lineage_are_unknown_origins(
    store_url: str, tmp_path: Path
) -> None:
    source = fresh_store_url("sqlite", tmp_path / "source")
    (tmp_path / "source").mkdir()
    run = run_demo(source, tmp_path / "source")
    events = export(source, run.model)
    keys = empty_ledger(tmp_path, store_url)
    assert ingest(store_url, keys, events) == len(events)
    report = _check(store_url, run.model)
    assert not report["ok"]
    unknown = next(rule for rule in report["rules"] if rule["rule"] == UNKNOWN_ORIGIN)
    assert unknown["failed"] == 1  # one record stands for the records packed into the shard
    assert report["origins"] == 0 and report["by_rule"][UNKNOWN_ORIGIN] == 1
    assert _trace(store_url, run.model)["origins"] == 0
    assert _artifacts(store_url)[SHARD] == sorted(s.id for s in run.shards)


def test_as_of_leaves_out_the_runs_recorded_later(store_url: str, tmp_path: Path) -> None:
    """Before the after-training requests were recorded, their run is not in the export;
    before the fine-tune, neither is the fine-tune's; what was there is unchanged."""
    run_demo(store_url, tmp_path)
    now = {(facet(e)["step"], facet(e)["run"]): e for e in export(store_url, None)}
    before_requests = export(store_url, None, as_of=LATER)
    then = {(facet(e)["step"], facet(e)["run"]): e for e in before_requests}
    assert set(now) - set(then) == {(REQUESTS_STAGE, "demo-7-after-training")}
    for key, event in then.items():
        assert facet(event)["kept"] == facet(now[key])["kept"], key
    before_finetune = export(store_url, None, as_of=FINETUNED_AT - timedelta(hours=1))
    steps = {facet(e)["step"] for e in before_finetune}
    assert "train" in steps and "finetune" not in steps
