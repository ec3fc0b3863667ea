"""Remediation plans on a demo run match the simulator's ground truth (on both stores)."""

from __future__ import annotations

from pathlib import Path

from lineage.ledger.log import Ledger
from lineage.model.identity import Identities
from lineage.query.plan import remediation_plan

from support.demo import run_demo


def test_demo_plans_match_the_ground_truth(store_url: str, tmp_path: Path) -> None:
    run = run_demo(store_url, tmp_path)
    ledger = Ledger.open(store_url)
    try:
        identities = Identities(ledger.store.identities())
        cases = run.deleted_after_training[:5] + run.objected_after_training[:5]
        assert cases
        for raw in cases:
            if ":user:" in raw:
                subject = identities.subject(raw, create=False)
                assert subject is not None
                start = subject.node_id
            else:
                owner = identities.owner("post", raw)
                assert owner is not None
                start = owner.post_id(raw)
            plan = remediation_plan(ledger.store, start).to_json()
            assert [s["shard"] for s in plan["shards"]] == sorted(set(run.late_shards[raw]))
            retrained = {m["model"] for m in plan["retrain"]}
            expected = {run.model}
            if any(s.endswith("-finetune") for s in run.late_shards[raw]):
                expected.add(run.finetune)
            assert retrained == expected
            assert [d["dataset"] for d in plan["superseded_datasets"]] == [run.dataset]
            if run.finetune not in retrained:
                assert [m["model"] for m in plan["refit_finetunes"]] == [run.finetune]
    finally:
        ledger.close()
