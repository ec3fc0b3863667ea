"""Policies checked on each store: each rule by hand, pauses, --as-of, registration."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.errors import InputError
from lineage.ledger.erasure import erase_author
from lineage.model.times import parse_time
from lineage.policy.check import check
from lineage.policy.document import parse_policy, read_policy
from lineage.policy.registry import register_policy

from support.ledgers import LedgerEnv
from support.policy_fixtures import FIRST_RUN, HEAD, POLICY, POSTS, build, failed


@pytest.fixture
def policy_env(env: LedgerEnv) -> tuple[LedgerEnv, dict[str, str]]:
    return env, build(env)


def test_each_rule_fails_exactly_its_posts(policy_env: tuple[LedgerEnv, dict[str, str]]) -> None:
    env, ids = policy_env
    report = check(env.ledger.store, "model:m1", read_policy(POLICY))
    assert failed(report, ids) == {
        "unknown-origin": {"?"},
        "public-only": {"friends", "message"},
        "excluded-surfaces": {"story", "message"},
        "jurisdiction-pause": {"eu", "gb", "br"},
        "objection": {"objector", "late-news"},
        "no-minors": {"minor"},
        "deleted-before-use": {"deleted"},
        "erasure": {"erased"},
        "deleted-after-use": {"deleted-late"},
        "objected-after-use": {"late-objector"},
        "age-unknown": {"no-age"},
    }
    assert report.origins == len(POSTS) and report.records == len(POSTS) + 1
    assert report.to_json()["runs_outside_policy_dates"] == []
    assert not report.ok and report.violations == 13 and report.notices == 3
    passed = {rule.id: rule.passed for rule in report.rules}
    assert passed["public-only"] == len(POSTS) - 2 and passed["unknown-origin"] == 0
    ok = next(f for f in report.findings if f.rule == "objection" and f.origin == ids["objector"])
    statements = env.ledger.store.statements(ok.entries)
    steps = {s.step for s in statements.values()}
    assert {"collect", "filter", "pack", "train", "privacy-requests"} <= steps


def test_pauses_end_with_their_dates(policy_env: tuple[LedgerEnv, dict[str, str]]) -> None:
    env, ids = policy_env
    report = check(env.ledger.store, "model:m2", read_policy(POLICY))
    results = failed(report, ids)
    assert results["jurisdiction-pause"] == {"eu"}  # UK resumed 2024-09-13, Brazil 2024-08-30
    # by the second run the late deletion and the late objection had been made
    assert results["deleted-before-use"] == {"deleted", "deleted-late"}
    assert results["objection"] == {"objector", "late-objector", "late-news"}


def test_as_of_answers_with_what_the_ledger_knew(
    policy_env: tuple[LedgerEnv, dict[str, str]],
) -> None:
    env, ids = policy_env
    policy = read_policy(POLICY)
    then = check(env.ledger.store, "model:m1", policy, as_of=parse_time(FIRST_RUN))
    now = check(env.ledger.store, "model:m1", policy)
    assert failed(then, ids)["objection"] == {"objector"}
    assert failed(now, ids)["objection"] == {"objector", "late-news"}
    assert "objected-after-use" not in failed(then, ids)
    assert failed(now, ids)["objected-after-use"] == {"late-objector"}
    with pytest.raises(InputError, match="no node model:m2 in the ledger at that time"):
        check(env.ledger.store, "model:m2", policy, as_of=parse_time(FIRST_RUN))


def test_shards_and_datasets_are_used_when_recorded(
    policy_env: tuple[LedgerEnv, dict[str, str]],
) -> None:
    env, ids = policy_env
    for artifact in ("shard:s1", "ds:d1"):
        report = check(env.ledger.store, artifact, read_policy(POLICY))
        results = failed(report, ids)
        # recorded 2024-07-02: before the Brazil pause? no, inside it (from 2024-07-02)
        assert results["jurisdiction-pause"] == {"eu", "gb", "br"}
        assert results["deleted-after-use"] == {"deleted", "deleted-late"}
        assert "deleted-before-use" not in results
        summary = report.to_json()
        assert summary["runs"][0]["run"] == artifact
        # recorded 2024-07-02, after the reference policy took effect (2024-06-26)
        assert summary["runs_outside_policy_dates"] == []


def test_registration_refuses_another_file_under_a_registered_version(
    policy_env: tuple[LedgerEnv, dict[str, str]],
) -> None:
    env, _ = policy_env
    policy = read_policy(POLICY)
    first = register_policy(env.ledger, env.admin, policy)
    assert register_policy(env.ledger, env.admin, policy) == first
    edited = parse_policy(POLICY.read_bytes() + b"\n# edited\n", "edited.toml")
    with pytest.raises(InputError, match="register a new version"):
        register_policy(env.ledger, env.admin, edited)


def test_training_time_is_absent_for_shards(
    policy_env: tuple[LedgerEnv, dict[str, str]], tmp_path: Path
) -> None:
    env, _ = policy_env
    policy = tmp_path / "trained.toml"
    policy.write_text(HEAD + "[[rules]]\nid='trained'\nimplements='x'\nexpr='has(time.training)'\n")
    rules = read_policy(policy)
    assert check(env.ledger.store, "model:m1", rules).rules[-1].failed == 0
    assert check(env.ledger.store, "shard:s1", rules).rules[-1].failed == len(POSTS)


def test_erasure_is_judged_at_its_time(policy_env: tuple[LedgerEnv, dict[str, str]]) -> None:
    """An erasure requested before the data was used fails the check; one requested after
    it is a notice naming the run that must be retrained; --as-of sees neither before the
    request was recorded."""
    env, ids = policy_env
    policy = read_policy(POLICY)
    shard = failed(check(env.ledger.store, "shard:s1", policy), ids)  # used 2024-07-02
    assert "erasure" not in shard and shard["erased-after-use"] == {"erased"}
    model = check(env.ledger.store, "model:m1", policy)  # used 2024-08-01
    assert failed(model, ids)["erasure"] == {"erased"}
    assert "erased-after-use" not in failed(model, ids)
    before = check(env.ledger.store, "shard:s1", policy, as_of=parse_time("2024-07-10T12:00:00Z"))
    assert "erased-after-use" not in failed(before, ids)
    notice = next(
        f
        for f in check(env.ledger.store, "shard:s1", policy).notice_findings
        if f.rule == "erased-after-use"
    )
    assert notice.run == "shard:s1" and notice.origin == ids["erased"]


def test_a_model_compliant_when_trained_still_passes_after_its_authors_erasure(
    policy_env: tuple[LedgerEnv, dict[str, str]],
) -> None:
    env, ids = policy_env
    policy = read_policy(POLICY)
    before = check(env.ledger.store, "model:m1", policy)
    assert erase_author(env.ledger, env.admin, "fb:user:ok").erased
    after = check(env.ledger.store, "model:m1", policy)
    assert after.violations == before.violations
    assert failed(after, ids)["erased-after-use"] == {"ok"}
