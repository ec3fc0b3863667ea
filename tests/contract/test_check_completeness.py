"""A check must not pass what it cannot see: inputs missing from the ledger, shards that
hold fewer records than they declare, artifacts with no origin, and loops are violations
with their evidence; loops are refused at append where they can be seen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import lineage.ledger.log
from lineage.crypto.dsse import sign_envelope
from lineage.errors import InputError
from lineage.ingest.pipeline import Lineage, Ref, Step
from lineage.ledger.log import Ledger
from lineage.model.graph import DATASET, MODEL
from lineage.model.predicates import LINEAGE
from lineage.model.statement import Step as StepInfo
from lineage.model.statement import make_statement
from lineage.policy.check import CheckReport, check
from lineage.policy.document import read_policy
from lineage.policy.uses import CYCLE, INCOMPLETE

from support.ledgers import T0, LedgerEnv
from support.policy_fixtures import POLICY

STEPS = ["collect", "filter", "pack", "train"]
TIME = "2024-07-02T00:00:00Z"


@pytest.fixture
def pipeline(env: LedgerEnv) -> Callable[[], Lineage]:
    worker = env.keys.create("worker")
    env.ledger.register_key(env.admin, "worker", worker.public, STEPS, valid_from=T0)
    env.ledger.close()
    return lambda: Lineage.open(env.url, keys_dir=env.root / "keys")


def _step(lineage: Lineage, name: str = "train", run: str = "r") -> Step:
    return lineage.step(name, key="worker", run=run, time=TIME)


def _records(lineage: Lineage, count: int) -> list[Ref]:
    collect, keep = _step(lineage, "collect"), _step(lineage, "filter")
    records = []
    for n in range(count):
        post = collect.origin(
            f"fb:{n}",
            platform="facebook",
            surface="feed",
            visibility="public",
            created="2024-06-01T00:00:00Z",
            jurisdiction="US",
            author=f"fb:user:{n}",
            author_age="adult",
        )
        records.append(keep.keep(post, f"fb:{n}/kept"))
    return records


def _check(env: LedgerEnv, artifact: str) -> CheckReport:
    ledger = Ledger.open(env.url)
    try:
        return check(ledger.store, artifact, read_policy(POLICY))
    finally:
        ledger.close()


def _gaps(report: CheckReport, rule: str) -> list[str]:
    return [f.detail for f in report.findings if f.rule == rule]


def test_a_model_trained_on_a_dataset_never_recorded_fails(
    env: LedgerEnv, pipeline: Callable[[], Lineage]
) -> None:
    with pipeline() as lineage:
        _step(lineage).model("m", trained_on=[Ref("ds:never-recorded", DATASET)])
    report = _check(env, "model:m")
    assert not report.ok
    details = _gaps(report, INCOMPLETE)
    assert any("uses dataset ds:never-recorded, but no entry declares it" in d for d in details)
    assert any("no record of model:m traces back to a post" in d for d in details)
    finding = next(f for f in report.findings if "ds:never-recorded" in f.detail)
    assert finding.run == "model:m" and finding.entries


def test_a_shard_declaring_records_it_does_not_hold_fails(
    env: LedgerEnv, pipeline: Callable[[], Lineage]
) -> None:
    with pipeline() as lineage:
        pack = _step(lineage, "pack")
        shard = pack.shard("s", sha256="00" * 32, size=1, record_count=500)
        dataset = pack.dataset("d", shards=[shard])
        _step(lineage).model("m", trained_on=[dataset])
    report = _check(env, "model:m")
    assert not report.ok and report.origins == 0
    details = _gaps(report, INCOMPLETE)
    assert any("shard:s declares 500 records but 0 are packed into it" in d for d in details)
    shard_finding = next(f for f in report.findings if "declares 500" in f.detail)
    assert shard_finding.shard == "shard:s"


def test_a_complete_lineage_has_no_gap(env: LedgerEnv, pipeline: Callable[[], Lineage]) -> None:
    with pipeline() as lineage:
        records = _records(lineage, 3)
        pack = _step(lineage, "pack")
        shard = pack.shard("s", sha256="00" * 32, size=1, records=records)
        _step(lineage).model("m", trained_on=[pack.dataset("d", shards=[shard])])
    report = _check(env, "model:m")
    assert report.ok and report.origins == 3
    assert {r.id: r.failed for r in report.rules}[INCOMPLETE] == 0


def test_an_empty_dataset_and_a_model_with_no_data_fail(
    env: LedgerEnv, pipeline: Callable[[], Lineage]
) -> None:
    with pipeline() as lineage:
        pack = _step(lineage, "pack")
        empty = pack.dataset("empty", shards=[])
        train = _step(lineage)
        train.model("m", trained_on=[empty])
        train.model("bare", description="no data recorded")
    assert any(
        "dataset ds:empty has no shards" in d for d in _gaps(_check(env, "model:m"), INCOMPLETE)
    )
    bare = _check(env, "model:bare")
    assert any("model:bare records no training data" in d for d in _gaps(bare, INCOMPLETE))


def test_loops_are_refused_at_append(env: LedgerEnv, pipeline: Callable[[], Lineage]) -> None:
    with pipeline() as lineage:
        train = _step(lineage)
        train.model("a", finetuned_from=Ref("model:b", MODEL))
        train.flush()
        with pytest.raises(InputError, match="closes a loop"):
            _step(lineage, run="2").model("b", finetuned_from=Ref("model:a", MODEL))
            lineage.flush()
    with pipeline() as lineage, pytest.raises(InputError, match="closes a loop"):
        _step(lineage, run="3").model("self", finetuned_from=Ref("model:self", MODEL))
        lineage.flush()
    with pipeline() as lineage:
        first = _records(lineage, 1)[0]
        second = _step(lineage, "filter", run="2").transform(first, "fb:0/again")
        lineage.flush()
        with pytest.raises(InputError, match="closes a loop"):
            _step(lineage, "filter", run="3").transform(second, "fb:0/kept")
            lineage.flush()


def test_a_loop_that_reached_the_ledger_is_a_cycle_violation(
    env: LedgerEnv, pipeline: Callable[[], Lineage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger written before loops were refused can hold one: the check says so."""
    monkeypatch.setattr(lineage.ledger.log, "closing_edge", lambda edges, reads: None)
    with pipeline() as pipe:
        records = _records(pipe, 2)
        pack = _step(pipe, "pack")
        shard = pack.shard("s", sha256="00" * 32, size=1, records=records)
        train = _step(pipe)
        train.model("a", trained_on=[shard], finetuned_from=Ref("model:b", MODEL))
        train.model("b", finetuned_from=Ref("model:a", MODEL))
    report = _check(env, "model:a")
    assert not report.ok
    cycles = _gaps(report, CYCLE)
    assert cycles == ["a model is fine-tuned from itself: model:a -> model:b -> model:a"]


def test_the_cli_gate_closes_on_missing_data(
    env: LedgerEnv, pipeline: Callable[[], Lineage], tmp_path: Path
) -> None:
    from support.cli import run_cli

    with pipeline() as lineage:
        _step(lineage).model("m", trained_on=[Ref("ds:never-recorded", DATASET)])
    result = run_cli("check", "model:m", "--policy", str(POLICY), "--db", env.url)
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and INCOMPLETE in result.output


def _derived_from_nothing_declared(env: LedgerEnv, record: Ref) -> None:
    """Add to ``record`` a second parent that no entry declares and nothing leads to."""
    statement = make_statement(
        [{"name": "lineage-batch:filter", "digest": {"sha256": "1" * 64}}],
        LINEAGE,
        StepInfo("filter", "1", "extra"),
        T0,
        {"nodes": [], "edges": [["DERIVED_FROM", record.id, "rec:never-declared"]]},
    )
    envelope = sign_envelope(statement.payload(), env.keys.load("worker"))
    ledger = Ledger.open(env.url)
    try:
        ledger.append([("extra", envelope)], env.admin)
    finally:
        ledger.close()


@pytest.mark.parametrize("packed", ["the record", "a record derived from it"])
def test_a_record_with_one_parent_that_leads_nowhere_is_a_gap_despite_a_good_post(
    env: LedgerEnv, pipeline: Callable[[], Lineage], packed: str
) -> None:
    with pipeline() as lineage:
        good, gapped = _records(lineage, 2)
    _derived_from_nothing_declared(env, gapped)
    with pipeline() as lineage:
        if packed != "the record":
            gapped = _step(lineage, "filter", run="later").transform(gapped, "fb:1/later")
        pack = _step(lineage, "pack")
        shard = pack.shard("s", sha256="00" * 32, size=1, records=[good, gapped])
        _step(lineage).model("m", trained_on=[pack.dataset("d", shards=[shard])])
    report = _check(env, "model:m")
    assert not report.ok
    gaps = [f for f in report.findings if "no complete path back to a post" in f.detail]
    assert [f.record for f in gaps] == [gapped.id]
    assert report.origins == 2  # both posts are still checked
