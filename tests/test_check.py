"""Policies and `lineage check`: each rule by hand, the demo's leaks, --as-of, registration."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from lineage.crypto.keys import KeyDirectory
from lineage.crypto.merkle.verify import verify_inclusion
from lineage.crypto.note import open_checkpoint
from lineage.demo.stages import LEAKS
from lineage.errors import InputError
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.graph import POST
from lineage.model.times import parse_time
from lineage.policy import reference_policy_path
from lineage.policy.cel_env import compile_rules
from lineage.policy.check import CheckReport, check
from lineage.policy.document import parse_policy, read_policy
from lineage.policy.registry import register_policy

from conftest import T0, LedgerEnv, run_cli
from test_demo import post_ids, run_demo

POLICY = reference_policy_path()
STEPS = ["collect", "filter", "pack", "train", "privacy-requests"]

# raw post id -> (surface, visibility, jurisdiction, author age)
POSTS = {
    "ok": ("feed", "public", "US", "adult"),
    "friends": ("feed", "friends", "US", "adult"),
    "story": ("story", "public", "US", "adult"),
    "message": ("message", "private", "US", "adult"),
    "eu": ("feed", "public", "DE", "adult"),
    "gb": ("feed", "public", "GB", "adult"),
    "br": ("photo", "public", "BR", "adult"),
    "minor": ("feed", "public", "US", "minor"),
    "no-age": ("feed", "public", "US", None),
    "objector": ("feed", "public", "US", "adult"),
    "late-objector": ("feed", "public", "US", "adult"),
    "late-news": ("feed", "public", "US", "adult"),
    "deleted": ("feed", "public", "US", "adult"),
    "deleted-late": ("reel", "public", "US", "adult"),
    "erased": ("feed", "public", "US", "adult"),
}
# (kind, raw post or author, made at, recorded at)
REQUESTS = [
    ("objection", "objector", "2024-07-15T00:00:00Z", "2024-07-16T00:00:00Z"),
    ("objection", "late-objector", "2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z"),
    # made before the first training run, but the ledger learnt of it only afterwards
    ("objection", "late-news", "2024-07-25T00:00:00Z", "2024-09-10T00:00:00Z"),
    ("deletion", "deleted", "2024-07-20T00:00:00Z", "2024-07-21T00:00:00Z"),
    ("deletion", "deleted-late", "2024-10-01T00:00:00Z", "2024-10-02T00:00:00Z"),
    ("erasure", "erased", "2024-07-10T00:00:00Z", "2024-07-11T00:00:00Z"),
]
FIRST_RUN, SECOND_RUN = "2024-08-01T00:00:00Z", "2024-10-15T00:00:00Z"


def build(env: LedgerEnv) -> dict[str, str]:
    """Each post breaks one rule (or none); two models trained on the same shard before
    and after the UK and Brazil pauses ended; one packed record derives from a post no
    entry declares. Returns raw post id -> post node id."""
    keys = KeyDirectory(env.root / "keys")
    worker = keys.create("worker")
    env.ledger.register_key(env.admin, "worker", worker.public, STEPS, valid_from=T0)
    env.ledger.close()
    ids: dict[str, str] = {}
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage:
        collect = lineage.step("collect", key="worker", time="2024-07-01T00:00:00Z")
        keep = lineage.step("filter", key="worker", time="2024-07-01T01:00:00Z")
        pack = lineage.step("pack", key="worker", time="2024-07-02T00:00:00Z")
        records = []
        for raw, (surface, visibility, jurisdiction, age) in POSTS.items():
            post = collect.origin(
                f"fb:{raw}",
                platform="facebook",
                surface=surface,
                visibility=visibility,
                created="2024-06-01T00:00:00Z",
                jurisdiction=jurisdiction,
                author=f"fb:user:{raw}",
                author_age=age,
            )
            ids[raw] = post.id
            records.append(keep.keep(post))
        ghost = Ref("post:" + "ab" * 12, POST, records[0].subject)
        records.append(keep.keep(ghost))
        shard = pack.shard("s1", sha256="00" * 32, size=1, records=records)
        dataset = pack.dataset("d1", shards=[shard])
        lineage.step("train", key="worker", time=FIRST_RUN).model("m1", trained_on=[dataset])
        lineage.step("train", key="worker", time=SECOND_RUN, run="2").model(
            "m2", trained_on=[dataset]
        )
        for n, (kind, raw, made, recorded) in enumerate(REQUESTS):
            step = lineage.step("privacy-requests", key="worker", time=recorded, run=str(n))
            target = lineage.post(f"fb:{raw}") if kind == "deletion" else None
            step.request(kind, target or lineage.author(f"fb:user:{raw}"), made)
    env.ledger = Ledger.open(env.url)
    return ids


def failed(report: CheckReport, ids: dict[str, str]) -> dict[str, set[str]]:
    """Rule -> the raw ids of the posts that failed it (``?`` for an unknown origin)."""
    raw_of = {node: raw for raw, node in ids.items()}
    found: dict[str, set[str]] = {}
    for finding in [*report.findings, *report.notice_findings]:
        found.setdefault(finding.rule, set()).add(raw_of.get(finding.origin or "", "?"))
    return found


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


BAD_POLICIES = [
    ("[policy\nid = 1", "not valid TOML"),
    ("[policy]\nid = 'p'\nversion = '1'\n", "effective_from is required"),
    (
        "[policy]\nid='p'\nversion='1'\neffective_from=2024-01-01T00:00:00\n",
        "effective_from must be a TOML date-time with a time zone",
    ),
    ("[policy]\nid='p'\nversion='1'\neffective_from=2024-01-01T00:00:00Z\n", "needs 1-200"),
    ("[rules]\nid='x'\n", "needs a [policy] table"),
]
HEAD = "[policy]\nid='p'\nversion='1'\neffective_from=2024-01-01T00:00:00Z\n"
BAD_RULES = [
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='post.visiblity == \"public\"'\n", "rule 'r':"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='post.surface'\n", "must be true or false"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='post.surface == 1'\n", "no matching overload"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='(('\n", "rule 'r': <input>:1:3: Syntax error"),
    ("[[rules]]\nid='r'\nexpr='true'\n", "rule 'r': implements must be a non-empty string"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='true'\nlevel='warn'\n", "level must be one of"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='true'\nwhen='x'\n", "unknown key 'when'"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='true'\n" * 2, "rule 'r' is defined twice"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_POLICIES + [(HEAD + r, p) for r, p in BAD_RULES])
def test_bad_policies_are_refused_before_anything_runs(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_rules(parse_policy(text.encode(), "bad.toml"))
    assert str(caught.value).startswith("bad.toml: ") and problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_reference_pack_compiles_and_documents_every_rule() -> None:
    policy = read_policy(POLICY)
    compiled = compile_rules(policy)
    assert {c.rule.id for c in compiled} >= {
        "public-only",
        "excluded-surfaces",
        "jurisdiction-pause",
        "objection",
        "no-minors",
        "deleted-before-use",
    }
    text = POLICY.read_text()
    for rule in policy.rules:
        assert rule.implements and f'id = "{rule.id}"' in text
    for fact in ("2024-06-14", "2025-05-27", "2024-09-13", "2024-07-02", "2024-08-30"):
        assert fact in text


def test_cli_check_registers_gates_and_proves(
    policy_env: tuple[LedgerEnv, dict[str, str]], tmp_path: Path
) -> None:
    env, _ = policy_env
    env.ledger.close()
    db = ("--db", env.url)
    keys = ("--keys-dir", str(env.root / "keys"))
    policy = tmp_path / "policy.toml"
    policy.write_bytes(POLICY.read_bytes())
    registered = run_cli("policy", "register", str(policy), *db, *keys, "--json")
    assert registered.exit_code == 0, registered.output
    entry = json.loads(registered.stdout)["entry"]

    failing = run_cli("check", "model:m1", "--policy", str(policy), *db, "--json")
    assert failing.exit_code == 1
    report = json.loads(failing.stdout)
    assert report["policy"]["registered_entry"] == entry and not report["ok"]
    ledger = Ledger.open(env.url)
    try:
        checkpoint = open_checkpoint(
            ledger.latest_checkpoint() or "", ledger.origin, env.admin.public
        )
    finally:
        ledger.close()
    for finding in report["findings"]:
        for e in finding["entries"]:
            proof = report["proofs"][str(e)]
            verify_inclusion(
                e,
                proof["tree_size"],
                bytes.fromhex(proof["leaf_hash"]),
                [bytes.fromhex(h) for h in proof["hashes"]],
                checkpoint.root,
            )
    text = run_cli("check", "model:m1", "--policy", str(policy), *db, *keys, "--record")
    assert text.exit_code == 1 and "FAIL: 13 violations, 3 notices" in text.stdout
    assert f"registered in entry {entry}" in text.stdout
    assert f"result recorded in entry {entry + 1}" in text.stdout
    ledger = Ledger.open(env.url)
    try:
        stored = ledger.store.entry(entry + 1)
        assert stored is not None
        recorded = json.loads(base64.b64decode(json.loads(stored[1])["payload"]))
        assert recorded["predicateType"] == "https://lineage.dev/CheckResult/v1"
        assert recorded["predicate"]["policy"]["sha256"] == report["policy"]["sha256"]
        assert recorded["predicate"]["violations"] == 13 and not recorded["predicate"]["ok"]
    finally:
        ledger.close()

    listed = run_cli("policy", "list", *db, "--json")
    assert json.loads(listed.stdout)["policies"][0]["entry"] == entry

    policy.write_text(POLICY.read_text().replace("2025-05-27", "2025-05-28"))
    edited = run_cli("check", "model:m1", "--policy", str(policy), *db)
    assert edited.exit_code == 2 and "was registered (entry" in edited.output

    clean = tmp_path / "clean.toml"
    clean.write_text(HEAD + "[[rules]]\nid='public'\nimplements='x'\nexpr='true'\n")
    passing = run_cli("check", "shard:s1", "--policy", str(clean), *db)
    assert "unknown-origin" in passing.stdout and passing.exit_code == 1
    missing = run_cli("check", "model:nope", "--policy", str(clean), *db)
    assert missing.exit_code == 2 and "no node model:nope" in missing.output
    assert verify_ledger(Ledger.open(env.url).store).ok


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
    assert check(env.ledger.store, "model:m1", rules).rules[1].failed == 0
    assert check(env.ledger.store, "shard:s1", rules).rules[1].failed == len(POSTS)


def test_runs_outside_the_policy_dates_are_named(graph: LedgerEnv) -> None:
    """The hand-built pipeline trained its models in May 2024, before the policy began."""
    summary = check(graph.ledger.store, "model:model-a-ft", read_policy(POLICY)).to_json()
    assert summary["runs_outside_policy_dates"] == [
        {"run": "model:model-a", "used": "2024-05-08T00:00:00Z"},
        {"run": "model:model-a-ft", "used": "2024-05-09T00:00:00Z"},
    ]
    graph.ledger.close()
    text = run_cli("check", "model:model-a-ft", "--policy", str(POLICY), "--db", graph.url)
    assert "outside the policy's effective dates (from 2024-06-26T00:00:00Z)" in text.stdout
