"""What a report shows is read exactly from the ledger, on every store: the step runs
behind an artifact with what each made, who signed it and which consumed which (edges
counted), the origins summarised, each finding with its origin's path, and a privacy
team's report on one author."""

from __future__ import annotations

from lineage.model.requests import OBJECTION
from lineage.policy.check import check
from lineage.policy.document import read_policy
from lineage.query.trace import Trace
from lineage.report.artifact import artifact_report
from lineage.report.author import author_report

from support.ledgers import LedgerEnv
from support.policy_fixtures import POLICY, POSTS, build


def test_the_pipeline_names_every_step_run_and_counts_its_links(env: LedgerEnv) -> None:
    build(env)
    report = artifact_report(env.ledger, "model:m1")
    runs = {run.step: run for run in report.pipeline.runs}
    assert sorted(runs) == ["collect", "filter", "pack", "train"]
    assert all(run.signers == {"worker"} for run in runs.values())
    posts = len(POSTS)
    assert runs["collect"].declared == {"Post": posts, "Subject": posts}
    assert runs["filter"].declared == {"Record": posts + 1}  # one derives from a ghost post
    assert runs["pack"].declared == {"Shard": 1, "Dataset": 1}
    assert runs["train"].declared == {"Model": 1} and runs["train"].run == ""
    index = {run.step: n for n, run in enumerate(report.pipeline.runs)}
    links = {
        (report.pipeline.runs[link.up].step, report.pipeline.runs[link.down].step, link.kind): (
            link.edges
        )
        for link in report.pipeline.links
    }
    assert links == {
        ("collect", "filter", "DERIVED_FROM"): posts,
        ("filter", "pack", "PACKED_INTO"): posts + 1,
        ("pack", "train", "TRAINED_ON"): 1,
    }
    assert index["collect"] < index["filter"] < index["pack"] < index["train"]


def test_the_second_model_has_its_own_training_run(env: LedgerEnv) -> None:
    build(env)
    report = artifact_report(env.ledger, "model:m2")
    assert [(run.step, run.run) for run in report.pipeline.runs if run.step == "train"] == [
        ("train", "2")
    ]


def test_origins_are_summarised_as_trace_does_with_months(env: LedgerEnv) -> None:
    build(env)
    report = artifact_report(env.ledger, "model:m1")
    trace = Trace(env.ledger.store, "model:m1")
    origins = sum(1 for _ in trace.origins())
    assert report.summary.origins == origins == len(POSTS)
    assert report.summary.to_json() == trace.finish().to_json()
    assert report.by_month == {"2024-06": len(POSTS)}
    assert report.checkpoint and report.checkpoint_size == env.ledger.size()


def test_each_finding_comes_with_its_origins_path_to_the_artifact(env: LedgerEnv) -> None:
    build(env)
    policy = read_policy(POLICY)
    report = artifact_report(env.ledger, "model:m1", policy=policy, max_listed=0, max_drawn=1000)
    direct = check(env.ledger.store, "model:m1", policy, max_listed=0)
    assert report.check is not None
    assert (report.check.violations, report.check.notices) == (direct.violations, direct.notices)
    assert len(report.findings) == len(direct.findings) + len(direct.notice_findings)
    for item in report.findings:
        if item.finding.origin is None:
            assert item.hops == []  # an unknown origin has no path
            continue
        ends = [item.hops[0].edge.up, item.hops[-1].edge.down]
        assert ends == [item.finding.origin, "model:m1"]
        assert all(a.edge.down == b.edge.up for a, b in zip(item.hops, item.hops[1:], strict=False))
    anchors = [item.anchor for item in report.findings]
    assert len(set(anchors)) == len(anchors)


def test_only_the_first_findings_get_a_drawn_path(env: LedgerEnv) -> None:
    build(env)
    report = artifact_report(
        env.ledger, "model:m1", policy=read_policy(POLICY), max_listed=0, max_drawn=2
    )
    drawn = [item for item in report.findings if item.hops]
    assert len(drawn) == 2 and len(report.findings) > 2


def test_a_privacy_report_lists_reach_plan_and_receipts(env: LedgerEnv) -> None:
    build(env)
    report = author_report(env.ledger, "fb:user:objector")
    assert report.subject.startswith("subject:")
    assert report.plan.impact.nodes["Model"] == ["model:m1", "model:m2"]
    assert [m.model for m in report.plan.models] == ["model:m1", "model:m2"]
    assert [r.request.kind for r in report.receipts] == [OBJECTION]
    assert "fb:user:objector" not in str(report.to_json())  # only the pseudonym is written
