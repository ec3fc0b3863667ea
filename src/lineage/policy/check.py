"""``check``: every origin of a shard, dataset or model against a policy.

The artifact is resolved to the shards it used and when it used them (a model's
training run; for what a fine-tune inherits, its base model's run; a shard or
dataset: when it was recorded). Every record packed into those shards is followed
back to the posts it derives from; each (post, time of use) is evaluated once
against every rule. A record with no complete path back to a declared post is a
violation of its own: an unknown origin. ``as_of`` evaluates the ledger as it stood
then: what was recorded by that time, and the requests known by then.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lineage.ledger.projection import time_us
from lineage.model.graph import (
    ID_PREFIX,
    MODEL,
    POST,
    SHARD,
)
from lineage.model.requests import DELETION, ERASURE, OBJECTION
from lineage.model.rows import DropRow, RequestRow, StatementRow
from lineage.model.times import format_us, parse_time
from lineage.policy.cel_env import FIELDS, Evaluator
from lineage.policy.document import Policy
from lineage.policy.origins import OriginRow, origin_rows
from lineage.policy.uses import CYCLE, INCOMPLETE, Gap, Use, resolve_uses
from lineage.query.nodes import require_node
from lineage.store.base import Store, table_rows

UNKNOWN_ORIGIN = "unknown-origin"
MODEL_PREFIX = ID_PREFIX[MODEL]
SHARD_PREFIX = ID_PREFIX[SHARD]
MAX_LISTED = 1000
_NEVER = 1 << 62
_parse_object = json.JSONDecoder().decode
"""JSON of attributes as the store keeps them (one layer less than ``json.loads``: a check
parses one per origin)."""


@dataclass
class RuleCount:
    """How many origins passed and failed one rule of the policy."""

    id: str
    level: str
    implements: str
    passed: int = 0
    failed: int = 0

    def to_json(self) -> dict[str, Any]:
        """The rule's id, level, what it implements and its counts as a JSON object."""
        return {
            "rule": self.id,
            "level": self.level,
            "implements": self.implements,
            "passed": self.passed,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class Finding:
    """An origin (or, for an unknown origin, a record) that failed a rule."""

    rule: str
    level: str
    origin: str | None
    record: str
    shard: str
    run: str
    used: int
    detail: str
    entries: tuple[int, ...]
    """Ledger entries of the evidence: the post, its author, each derivation, the
    packing, the artifact's edges, and the requests the rule saw."""
    read: dict[str, Any] = field(default_factory=dict, compare=False)
    """What the rule read: the origin's attributes and times it depends on (the time of
    use, of a request, of the post) and the parameter entries it selects (a pause
    window of the post's jurisdiction)."""

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object (time of use in RFC 3339)."""
        return {
            "rule": self.rule,
            "level": self.level,
            "origin": self.origin,
            "record": self.record,
            "shard": self.shard,
            "run": self.run,
            "used": format_us(self.used),
            "detail": self.detail,
            "entries": list(self.entries),
            "read": self.read,
        }


@dataclass
class CheckReport:
    """The outcome of checking an artifact against a policy: counts, findings and uses."""

    artifact: str
    kind: str
    policy: Policy
    registered_entry: int | None
    as_of_us: int | None
    uses: dict[str, list[Use]] = field(default_factory=dict)
    origins: int = 0
    records: int = 0
    rules: list[RuleCount] = field(default_factory=list)
    violations: int = 0
    notices: int = 0
    findings: list[Finding] = field(default_factory=list)
    """Violations: the first ``listed_limit`` (0: all) in the order of :func:`listing_key`,
    the same whichever store holds the ledger."""
    notice_findings: list[Finding] = field(default_factory=list)
    """Notices, listed the same way."""
    listed_limit: int = MAX_LISTED

    @property
    def ok(self) -> bool:
        """Whether the artifact passed: no violations (notices do not count)."""
        return self.violations == 0

    def failures(self) -> Iterator[RuleCount]:
        """The rules that failed for at least one origin, in policy order."""
        return (rule for rule in self.rules if rule.failed)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object (the core of ``lineage check --json``)."""
        runs = sorted({(u.run, u.time_us) for uses in self.uses.values() for u in uses})
        outside = [
            {"run": run, "used": format_us(when)}
            for run, when in runs
            if not self.policy.in_effect(datetime.fromtimestamp(when / 1_000_000, UTC))
        ]
        return {
            "artifact": self.artifact,
            "kind": self.kind,
            "ok": self.ok,
            "policy": {**self.policy.to_json(), "registered_entry": self.registered_entry},
            "as_of": format_us(self.as_of_us) if self.as_of_us is not None else None,
            "runs": [{"run": run, "used": format_us(when)} for run, when in runs],
            "runs_outside_policy_dates": outside,
            "shards": len(self.uses),
            "records": self.records,
            "origins": self.origins,
            "violations": self.violations,
            "notices": self.notices,
            "listed": {
                "violations": len(self.findings),
                "of_violations": self.violations,
                "notices": len(self.notice_findings),
                "of_notices": self.notices,
            },
            "rules": [rule.to_json() for rule in self.rules],
            "findings": [finding.to_json() for finding in self.findings],
            "notice_findings": [finding.to_json() for finding in self.notice_findings],
        }


@dataclass
class _Context:
    """What the ledger knew at ``as_of``: statement times and steps, drops, requests."""

    as_of: int
    statement_time: dict[int, int]
    statement_step: dict[int, str]
    drops: dict[str, list[str]]
    deleted: dict[str, tuple[int, int]]
    objected: dict[str, tuple[int, int]]
    erased: dict[str, tuple[int, int]]

    @classmethod
    def load(cls, store: Store, as_of: int) -> _Context:
        times, steps = {}, {}
        for row in table_rows(store, StatementRow):
            times[row.entry] = row.time_us
            steps[row.entry] = row.step
        drops: dict[str, list[str]] = {}
        for drop in table_rows(store, DropRow):
            if drop.time_us <= as_of:
                drops.setdefault(drop.node, []).append(drop.reason)
        deleted: dict[str, tuple[int, int]] = {}
        objected: dict[str, tuple[int, int]] = {}
        erased: dict[str, tuple[int, int]] = {}
        tables = {DELETION: deleted, OBJECTION: objected, ERASURE: erased}
        for request in table_rows(store, RequestRow):
            if request.time_us > as_of:
                continue
            table = tables[request.kind]
            known = table.get(request.target)
            if known is None or request.at_us < known[0]:
                table[request.target] = (request.at_us, request.entry)
        return cls(as_of, times, steps, drops, deleted, objected, erased)

    def known(self, entry: int) -> bool:
        return self.statement_time.get(entry, _NEVER) <= self.as_of


assert [f"{variable}.{name}" for variable, name in FIELDS] == [
    "post.id",
    "post.platform",
    "post.surface",
    "post.visibility",
    "post.jurisdiction",
    "post.created",
    "post.deleted",
    "subject.id",
    "subject.age",
    "subject.objected",
    "subject.erased",
    "history.steps",
    "history.drops",
    "time.ingest",
    "time.use",
    "time.training",
    "time.as_of",
], "_Checker._evaluate builds values in this order"


class _Checker:
    def __init__(self, report: CheckReport, evaluator: Evaluator, context: _Context) -> None:
        self.report = report
        self.evaluator = evaluator
        self.context = context
        self.counts = [
            RuleCount(r.rule.id, r.rule.level, r.rule.implements) for r in evaluator.rules
        ]
        self.unknown = RuleCount(
            UNKNOWN_ORIGIN,
            "violation",
            "Every record in a shard has a complete path back to a post.",
        )
        self.incomplete = RuleCount(
            INCOMPLETE,
            "violation",
            "Everything the artifact names is in the ledger: its datasets, shards and base"
            " models, the records its shards declare, and at least one origin.",
        )
        self.cycle = RuleCount(
            CYCLE, "violation", "The lineage has no loop: no model is fine-tuned from itself."
        )
        self.report.rules = [self.incomplete, self.cycle, self.unknown, *self.counts]
        self.seen: set[tuple[str, int]] = set()
        self.evaluated = 0
        self.attrs: dict[str, dict[str, Any]] = {}

    def _complete(self, row: OriginRow) -> bool:
        context = self.context
        if row.origin is None or row.origin_kind != POST:
            return False
        if context.as_of == _NEVER:
            return True
        return row.origin_time_us <= context.as_of and all(map(context.known, row.path))

    def add(self, row: OriginRow, uses: list[Use]) -> None:
        self.report.records += 1
        if not self._complete(row):
            for use in uses:
                key = (row.record, use.time_us)
                if key in self.seen:
                    continue
                self.seen.add(key)
                self.unknown.failed += 1
                self._found(self.unknown, row, use, "no complete path back to a post", ())
            return
        assert row.origin is not None
        for use in uses:
            key = (row.origin, use.time_us)
            if key in self.seen:
                continue
            self.seen.add(key)
            self.report.origins += 1
            self._evaluate(row, use)

    def _subject_attrs(self, text: str) -> dict[str, Any]:
        found = self.attrs.get(text)
        if found is None:
            found = self.attrs[text] = json.loads(text)
        return found

    def _evaluate(self, row: OriginRow, use: Use) -> None:
        context = self.context
        origin = row.origin
        assert origin is not None
        post = _parse_object(row.origin_attrs)
        needed = self.evaluator.needed
        subject = ""
        if row.subject is not None and context.known(row.authored_entry):
            subject = row.subject
        deletion = context.deleted.get(origin)
        objection = context.objected.get(subject) if subject else None
        erasure = context.erased.get(subject) if subject else None
        drops = context.drops
        created = post.get("created") if "post.created" in needed else None
        values: list[Any] = [
            origin,
            post.get("platform", ""),
            post.get("surface", ""),
            post.get("visibility", ""),
            post.get("jurisdiction", ""),
            _micros(created) if created else None,
            deletion[0] if deletion else None,
            subject,
            self._subject_attrs(row.subject_attrs).get("age", "") if subject else "",
            objection[0] if objection else None,
            erasure[0] if erasure else None,
            tuple(context.statement_step.get(e, "?") for e in row.path)
            if "history.steps" in needed
            else (),
            (*drops.get(origin, ()), *drops.get(row.record, ()))
            if origin in drops or row.record in drops
            else (),
            row.origin_time_us,
            use.time_us,
            use.time_us if use.run.startswith(MODEL_PREFIX) else None,
            None if context.as_of == _NEVER else context.as_of,
        ]
        outcomes = self.evaluator.outcomes(values)
        self.evaluated += 1
        if not any(outcomes):
            return
        requests = tuple(r[1] for r in (deletion, objection, erasure) if r is not None)
        rules, params = self.evaluator.rules, self.evaluator.policy.params
        for n, (count, outcome) in enumerate(zip(self.counts, outcomes, strict=True)):
            if outcome is not None:
                count.failed += 1
                self._found(count, row, use, outcome, requests, rules[n].read(values, params))

    def finish(self, gaps: list[Gap]) -> None:
        """Count what passed, and report the gaps of the artifact's lineage."""
        for count in self.counts:
            count.passed = self.evaluated - count.failed
        for gap in gaps:
            count = self.cycle if gap.rule == CYCLE else self.incomplete
            count.failed += 1
            shard = gap.node if gap.node.startswith(SHARD_PREFIX) else ""
            entries = tuple(sorted(set(gap.entries)))
            finding = Finding(
                gap.rule, "violation", None, "", shard, gap.run, gap.used, gap.detail, entries
            )
            self._listed("violation", finding)
        _keep_first(self.report.findings, self.report.listed_limit)
        _keep_first(self.report.notice_findings, self.report.listed_limit)

    def _found(
        self,
        count: RuleCount,
        row: OriginRow,
        use: Use,
        outcome: str,
        requests: tuple[int, ...],
        read: dict[str, Any] | None = None,
    ) -> None:
        entries = {row.packed_entry, *row.path, *use.entries, *requests}
        if row.origin_entry >= 0:
            entries.add(row.origin_entry)
        if row.authored_entry >= 0:
            entries.add(row.authored_entry)
        detail = count.implements if outcome == "fail" else outcome
        origin = row.origin if row.origin_kind == POST else None
        finding = Finding(
            count.id,
            count.level,
            origin,
            row.record,
            row.shard,
            use.run,
            use.time_us,
            detail,
            tuple(sorted(entries)),
            read or {},
        )
        self._listed(count.level, finding)

    def _listed(self, level: str, finding: Finding) -> None:
        """Count a finding, and keep it if it may be among the first listed."""
        report = self.report
        if level == "violation":
            report.violations += 1
            listed = report.findings
        else:
            report.notices += 1
            listed = report.notice_findings
        listed.append(finding)
        limit = report.listed_limit
        if limit and len(listed) >= 2 * limit:
            _keep_first(listed, limit)


def listing_key(finding: Finding) -> tuple[str, str, str, str, str, int]:
    """The order findings are listed in: by origin, record, shard, run and rule."""
    return (
        finding.origin or "",
        finding.record,
        finding.shard,
        finding.run,
        finding.rule,
        finding.used,
    )


def _keep_first(findings: list[Finding], limit: int) -> None:
    """Sort ``findings`` by :func:`listing_key` and keep the first ``limit`` (0: all)."""
    findings.sort(key=listing_key)
    if limit:
        del findings[limit:]


def _micros(text: str) -> int:
    return time_us(parse_time(text, "post.created"))


def check(
    store: Store,
    artifact: str,
    policy: Policy | Evaluator,
    *,
    as_of: datetime | None = None,
    registered_entry: int | None = None,
    max_listed: int = MAX_LISTED,
    progress: Callable[[int], None] | None = None,
) -> CheckReport:
    """Evaluate every origin of ``artifact`` against ``policy`` (or against a policy
    already compiled, to check several artifacts)."""
    evaluator = policy if isinstance(policy, Evaluator) else Evaluator(policy)
    as_of_us = time_us(as_of) if as_of is not None else None
    bound = _NEVER if as_of_us is None else as_of_us
    root = require_node(store, artifact, as_of_us)
    report = CheckReport(
        artifact, root.kind, evaluator.policy, registered_entry, as_of_us, listed_limit=max_listed
    )
    with store.snapshot():
        uses = resolve_uses(store, root, bound)
        report.uses = uses.shards
        checker = _Checker(report, evaluator, _Context.load(store, bound))
        for n, row in enumerate(origin_rows(store, sorted(report.uses), as_of_us), 1):
            checker.add(row, report.uses[row.shard])
            if progress is not None and n % 10_000 == 0:
                progress(10_000)
        gaps = list(uses.gaps)
        if report.origins == 0:
            detail = f"no record of {artifact} traces back to a post: nothing to check"
            gaps.append(Gap(INCOMPLETE, artifact, artifact, root.time_us, detail, (root.entry,)))
        checker.finish(gaps)
    return report
