"""``lineage demo`` as one library call: create the ledger (and its admin key) if needed,
run the demo pipeline, register the reference policy and check the model and its
fine-tune against it, verify the ledger, and list the commands to try next."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.crypto.keys import KeyDirectory
from lineage.demo.simulate import DemoRun, simulate
from lineage.errors import InputError
from lineage.ledger.log import Ledger
from lineage.ledger.verify import VerifyReport, verify_ledger
from lineage.model.identity import POST_ID, Identities
from lineage.policy import reference_policy_path
from lineage.policy.cel_env import Evaluator
from lineage.policy.check import check
from lineage.policy.document import read_policy
from lineage.policy.registry import register_policy
from lineage.progress import StageProgress, no_progress
from lineage.store import KEYS_DIR_NAME, default_keys_dir, open_store

MAX_LISTED_PROBLEMS = 20


@dataclass
class DemoReport:
    """What a demo run did: the pipeline's counts, compliance, verification, next steps."""

    run: DemoRun
    compliance: dict[str, Any]
    verify: VerifyReport
    kept_post_id: str
    dropped_post_id: str
    store: str
    seconds: float
    next_commands: list[str]
    keys_dir: Path
    """Where the demo's keys are (beside a SQLite ledger, where commands look by default)."""

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            **self.run.to_json(),
            "compliance": self.compliance,
            "kept_post_id": self.kept_post_id,
            "dropped_post_id": self.dropped_post_id,
            "store": self.store,
            "verify": {
                "ok": self.verify.ok,
                "size": self.verify.size,
                "problems": [p.to_json() for p in self.verify.problems[:MAX_LISTED_PROBLEMS]],
            },
            "seconds": self.seconds,
            "keys": str(self.keys_dir),
            "next": self.next_commands,
        }


def ensure_ledger(url: str, keys: KeyDirectory) -> None:
    """Create the demo's ledger (and its admin key) unless the store holds one."""
    store = open_store(url, create=True)
    try:
        initialised = store.is_initialized()
    finally:
        store.close()
    if not initialised:
        admin = keys.load("admin") if keys.exists("admin") else keys.create("admin")
        Ledger.create(url, admin).close()


DEMO_STORES = {
    "sqlite": "sqlite:///{directory}/lineage.db",
    "lake": "lake:///{directory}/lake",
}
"""Where ``lineage demo --store`` puts its ledger in the demo directory."""


def run_demo(
    directory: Path,
    *,
    url: str | None = None,
    posts: int = 10_000,
    seed: int = 1,
    leak: str | None = None,
    store: str = "sqlite",
    progress: StageProgress = no_progress,
) -> DemoReport:
    """Run the demo into ``url`` (default: a new ``store`` in ``directory``: a SQLite
    file, or a lake directory), with its keys and shard files in ``directory``."""
    if store not in DEMO_STORES:
        raise InputError(f"unknown demo store {store!r} (choose from {', '.join(DEMO_STORES)})")
    url = url or DEMO_STORES[store].format(directory=directory)
    sqlite = url.startswith("sqlite:")
    keys_dir = default_keys_dir(url) if sqlite else directory / KEYS_DIR_NAME
    keys = KeyDirectory(keys_dir)
    started = time.perf_counter()
    ensure_ledger(url, keys)
    with progress("simulating", posts) as tick:
        run = simulate(url, keys_dir, directory, posts=posts, seed=seed, leak=leak, progress=tick)
    ledger = Ledger.open(url)
    try:
        compliance = check_compliance(ledger, keys, run)
        with progress("verifying", ledger.size()) as tick:
            report = verify_ledger(ledger.store, progress=tick)
        identities = Identities(ledger.store.identities())
        kept, dropped = (_post_id(identities, raw) for raw in (run.kept_post, run.dropped_post))
    finally:
        ledger.close()
    return DemoReport(
        run,
        compliance,
        report,
        kept,
        dropped,
        ledger.store.url,
        round(time.perf_counter() - started, 2),
        next_commands(run, url, None if sqlite else keys_dir),
        keys_dir,
    )


def _post_id(identities: Identities, raw: str) -> str:
    found = identities.resolve(POST_ID, raw) if raw else None
    return found[1] if found else ""


def check_compliance(ledger: Ledger, keys: KeyDirectory, run: DemoRun) -> dict[str, Any]:
    """Register the reference policy and check the model and its fine-tune against it."""
    policy = read_policy(reference_policy_path())
    registration = register_policy(ledger, keys.load(ledger.log_key_name), policy)
    results: dict[str, Any] = {"policy": {**policy.to_json(), "entry": registration.entry}}
    evaluator = Evaluator(policy)
    for artifact in (run.model, run.finetune):
        report = check(ledger.store, artifact, evaluator, registered_entry=registration.entry)
        results[artifact] = {
            "ok": report.ok,
            "origins": report.origins,
            "violations": report.violations,
            "notices": report.notices,
            "failed": {r.id: r.failed for r in report.failures() if r.level == "violation"},
            "noticed": {r.id: r.failed for r in report.failures() if r.level != "violation"},
        }
    return results


def next_commands(run: DemoRun, url: str, keys_dir: Path | None = None) -> list[str]:
    """Commands to try on the demo's ledger, with real ids from the run; each works as it
    is pasted (``keys_dir``: where the keys are, when not beside the ledger)."""
    db = f"--db {shlex.quote(url)}"
    keys = f" --keys-dir {shlex.quote(str(keys_dir))}" if keys_dir is not None else ""
    policy = shlex.quote(read_policy(reference_policy_path()).id)  # registered by the demo
    bundle = shlex.quote(str(run.directory / "post.bundle.json"))
    summary = shlex.quote(str(run.directory / "summary.md"))
    card = shlex.quote(str(run.directory / "README.md"))
    commands = [
        f"lineage trace {run.model} {db}",
        f"lineage trace {run.model} --path {shlex.quote(run.kept_post)} {db}",
        f"lineage bundle --post {shlex.quote(run.kept_post)} --to {run.model} -o {bundle} {db}",
        f"lineage verify-bundle {bundle}",
        f"lineage impact --post {shlex.quote(run.kept_post)} {db}",
        f"lineage impact --author {shlex.quote(run.kept_post_author)} {db}",
        (
            f"lineage impact --post {shlex.quote(run.deleted_after_training[0])} {db}"
            if run.deleted_after_training
            else ""
        ),
        f"lineage show {run.shards[0].id} {db}" if run.shards else "",
        f"lineage check {run.model} --policy {policy} {db}",
        f"lineage check {run.finetune} --policy {policy} --as-of 2024-08-20T00:00:00Z {db}",
        f"lineage check {run.model} --policy {policy} --record {db}{keys}",
        f"lineage summary {run.model} --format eu-ai-act -o {summary} {db}",
        f"lineage card {run.dataset} -o {card} {db}",
        f"lineage verify {db}",
        f"lineage ls {db}",
        f"lineage policy show {policy} {db}",
    ]
    return [c for c in commands if c]
