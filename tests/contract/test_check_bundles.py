"""Check bundles on each store: each finding's path is shown; a complete bundle lets the
verifier evaluate the policy again and get the same counts and findings; the policy file
must be the registered one; a wrong claim is refused."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from lineage.crypto.canonical import canonical_bytes
from lineage.errors import InputError
from lineage.evidence.build import check_bundle
from lineage.evidence.format import read_bundle
from lineage.evidence.verify import verify_bundle
from lineage.policy.document import read_policy
from lineage.policy.registry import register_policy

from support.ledgers import LedgerEnv
from support.policy_fixtures import POLICY, build

ARTIFACT = "model:m1"


def verdict(bundle: dict[str, Any]) -> tuple[str, str, str] | None:
    result = verify_bundle(read_bundle(canonical_bytes(bundle)))
    failure = result.failure
    return None if failure is None else (failure.kind, failure.where, failure.detail)


@pytest.fixture
def checked(env: LedgerEnv) -> LedgerEnv:
    build(env)
    register_policy(env.ledger, env.admin, read_policy(POLICY))
    return env


def bundle_of(env: LedgerEnv, *, complete: bool) -> dict[str, Any]:
    report, bundle = check_bundle(
        env.ledger,
        ARTIFACT,
        read_policy(POLICY),
        POLICY.read_bytes(),
        complete=complete,
    )
    assert not report.ok and report.violations > 2
    return bundle


def test_each_finding_is_shown_by_its_path(checked: LedgerEnv) -> None:
    bundle = bundle_of(checked, complete=False)
    assert verdict(bundle) is None
    claim = bundle["claim"]
    rules = {f["rule"] for f in claim["findings"]}
    assert "unknown-origin" in rules and len(rules) > 4
    assert claim["passed"] is False and claim["counts"]["violations"] > 2
    assert "batches" not in bundle


def test_a_complete_bundle_is_evaluated_again(checked: LedgerEnv) -> None:
    bundle = bundle_of(checked, complete=True)
    assert verdict(bundle) is None
    assert bundle["batches"] and len(bundle["entries"]) == checked.ledger.size()
    fewer = json.loads(json.dumps(bundle))
    fewer["claim"]["counts"]["notices"] += 1
    kind, where, detail = verdict(fewer) or ("", "", "")
    assert (kind, where) == ("claim", "claim") and "evaluated again" in detail
    hidden = json.loads(json.dumps(bundle))
    dropped = hidden["claim"]["findings"].pop()
    assert dropped
    kind, _, detail = verdict(hidden) or ("", "", "")
    assert kind == "claim" and "other findings" in detail


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (
            lambda b: b.update(policy=dict(b["policy"], document=base64.b64encode(b"x").decode())),
            "policy",
        ),
        (lambda b: b["policy"].update(registration=1), "policy"),
        (lambda b: b.pop("policy"), "policy"),
        (lambda b: b["claim"]["policy"].update(version="0"), "policy"),
        (lambda b: b["claim"].update(passed=True), "claim"),
        (lambda b: b["claim"]["findings"][0].update(origin="post:" + "cd" * 12), "claim"),
    ],
    ids=["policy bytes", "registration", "no policy", "claimed version", "passed", "origin"],
)
def test_a_broken_check_bundle_is_refused(checked: LedgerEnv, change: Any, kind: str) -> None:
    bundle = bundle_of(checked, complete=False)
    change(bundle)
    found = verdict(bundle)
    assert found is not None and found[0] == kind, found


def test_a_complete_bundle_without_a_batch_is_refused(checked: LedgerEnv) -> None:
    bundle = bundle_of(checked, complete=True)
    bundle["batches"] = bundle["batches"][1:]
    found = verdict(bundle)
    assert found is not None and found[0] == "claim"


def test_only_a_registered_policy_is_bundled(env: LedgerEnv) -> None:
    build(env)
    with pytest.raises(InputError, match="is not registered in this ledger"):
        check_bundle(env.ledger, ARTIFACT, read_policy(POLICY), POLICY.read_bytes())


def test_a_listed_check_bundle_does_not_prove_its_counts(checked: LedgerEnv) -> None:
    bundle = bundle_of(checked, complete=False)
    claim = bundle["claim"]
    claim["findings"] = [f for f in claim["findings"] if f["level"] != "violation"]
    claim["counts"]["violations"], claim["passed"] = 0, True
    result = verify_bundle(read_bundle(canonical_bytes(bundle)))
    assert result.proven and "not proven" in result.summary
    complete = bundle_of(checked, complete=True)
    proven = verify_bundle(read_bundle(canonical_bytes(complete)))
    assert proven.proven and "fails" in proven.summary and "evaluated again" in proven.summary
    complete["claim"]["findings"] = [
        f for f in complete["claim"]["findings"] if f["level"] != "violation"
    ]
    complete["claim"]["counts"]["violations"], complete["claim"]["passed"] = 0, True
    assert verdict(complete) is not None


@pytest.mark.parametrize("value", [False, 118.0, "3"])
def test_counts_are_integers(checked: LedgerEnv, value: Any) -> None:
    bundle = bundle_of(checked, complete=True)
    bundle["claim"]["counts"]["origins"] = value
    found = verdict(bundle)
    assert found is not None and found[0] == "claim"
