"""`check` on demo runs: exactly the posts a leak let through, nothing on a clean run."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.demo.stages import LEAKS
from lineage.ledger.log import Ledger
from lineage.policy.check import check
from lineage.policy.document import read_policy

from support.demo import post_ids, run_demo
from support.policy_fixtures import POLICY


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_check_finds_exactly_the_posts_a_leak_let_through(
    store_url: str, tmp_path: Path, leak: str
) -> None:
    run = run_demo(store_url, tmp_path, leak=leak)
    ledger = Ledger.open(store_url)
    try:
        report = check(ledger.store, run.model, read_policy(POLICY), max_listed=100_000)
        found = {f.origin for f in report.findings}
        assert found == post_ids(ledger, run.leaked)  # precision and recall 1.0
        assert report.violations == len(run.leaked)
    finally:
        ledger.close()


def test_a_clean_demo_run_has_no_violation(store_url: str, tmp_path: Path) -> None:
    run = run_demo(store_url, tmp_path)
    ledger = Ledger.open(store_url)
    try:
        for artifact in (run.model, run.finetune, run.dataset, run.shards[0].id):
            report = check(ledger.store, artifact, read_policy(POLICY))
            assert report.ok and report.origins > 0, artifact
        deleted_late = check(ledger.store, run.model, read_policy(POLICY), max_listed=100_000)
        noticed = {f.origin for f in deleted_late.notice_findings if f.rule == "deleted-after-use"}
        assert noticed == post_ids(ledger, run.deleted_after_training)
    finally:
        ledger.close()
