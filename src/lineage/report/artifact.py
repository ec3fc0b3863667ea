"""Everything an auditor's report on one artifact shows, read from the ledger in one pass:
the artifact, its origins summarised (by platform, surface, jurisdiction and month), the
pipeline of step runs behind it, the compliance result against a policy (each finding
with what the rule read and the path from its origin), and the checkpoint it all stands
on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lineage.errors import InputError
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.ledger.projection import time_us
from lineage.model.graph import POST
from lineage.model.rows import NodeRow
from lineage.model.times import format_us
from lineage.policy.check import MAX_LISTED, CheckReport, Finding
from lineage.policy.document import Policy
from lineage.policy.gate import run_check
from lineage.query.nodes import Hop
from lineage.query.pipeline import Pipeline, PipelineBuilder
from lineage.query.trace import Trace, TraceSummary, path

MAX_DRAWN_PATHS = 1_000
"""Findings whose origin's path a report draws, at most."""


@dataclass(frozen=True)
class ExplainedFinding:
    """A finding, whether it is a violation or a notice, and its origin's path (if drawn)."""

    finding: Finding
    violation: bool
    hops: list[Hop]
    position: int
    """Where the report lists it (violations first, then notices), from 1."""

    @property
    def anchor(self) -> str:
        """The id of this finding's section in the report."""
        return f"finding-{self.position}"

    def to_json(self) -> dict[str, Any]:
        """The finding with its path, as a JSON object."""
        return {
            **self.finding.to_json(),
            "violation": self.violation,
            "path": [hop.to_json() for hop in self.hops],
        }


@dataclass
class ArtifactReport:
    """What ``lineage report ARTIFACT`` shows."""

    origin: str
    artifact: NodeRow
    as_of_us: int | None
    generated_us: int
    summary: TraceSummary
    by_month: Counter[str]
    pipeline: Pipeline
    checkpoint: str | None
    checkpoint_size: int
    check: CheckReport | None = None
    findings: list[ExplainedFinding] = field(default_factory=list)
    bundle: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The report's content as one JSON object (what the page shows, for scripts)."""
        return {
            "log": self.origin,
            "artifact": {
                "id": self.artifact.id,
                "kind": self.artifact.kind,
                "attributes": self.artifact.attributes(),
                "entry": self.artifact.entry,
                "time": format_us(self.artifact.time_us),
            },
            "as_of": format_us(self.as_of_us) if self.as_of_us is not None else None,
            "generated": format_us(self.generated_us),
            "summary": self.summary.to_json(),
            "origins_by_month": dict(sorted(self.by_month.items())),
            "pipeline": self.pipeline.to_json(),
            "check": self.check.to_json() if self.check is not None else None,
            "findings": [f.to_json() for f in self.findings],
            "checkpoint": {"size": self.checkpoint_size, "note": self.checkpoint},
            "bundle": self.bundle,
        }


def artifact_report(
    ledger: Ledger,
    artifact: str,
    *,
    policy: Policy | None = None,
    as_of: datetime | None = None,
    max_listed: int = MAX_LISTED,
    max_drawn: int = 20,
    bundle: str | None = None,
    checked: CheckReport | None = None,
    progress: Callable[[int], None] | None = None,
) -> ArtifactReport:
    """Read the report on ``artifact`` (checked against ``policy`` if one is given, or
    with the result ``checked`` already made) from the ledger as it stood at ``as_of``;
    the first ``max_drawn`` findings with an origin get its path drawn."""
    if not 0 <= max_drawn <= MAX_DRAWN_PATHS:
        raise InputError(f"paths drawn must be between 0 and {MAX_DRAWN_PATHS}")
    store = ledger.store
    as_of_us = time_us(as_of) if as_of is not None else None
    with store.snapshot():
        size = ledger.size()
        checkpoint = ledger.latest_checkpoint()
        checkpoint_size = checkpoint_of(checkpoint).size if checkpoint else 0
        builder = PipelineBuilder(store, as_of_us)
        by_month: Counter[str] = Counter()

        def observe(row: NodeRow) -> None:
            builder.observe(row)
            if row.kind == POST:
                by_month[_month(row)] += 1

        trace = Trace(store, artifact, as_of_us, observe=observe)
        for seen, _ in enumerate(trace.origins(), 1):
            if progress is not None and seen % 10_000 == 0:
                progress(10_000)
        summary = trace.finish()
        pipeline = builder.finish(summary.drops)
        report = ArtifactReport(
            ledger.origin,
            trace.root,
            as_of_us,
            time_us(datetime.now(UTC)),
            summary,
            by_month,
            pipeline,
            checkpoint,
            checkpoint_size or size,
            bundle=bundle,
        )
        if checked is None and policy is not None:
            checked = run_check(ledger, artifact, policy, as_of=as_of, max_listed=max_listed).report
        if checked is not None:
            report.check = checked
            listed = [(f, True) for f in checked.findings] + [
                (f, False) for f in checked.notice_findings
            ]
            drawn = 0
            for n, (finding, violation) in enumerate(listed):
                hops = []
                if finding.origin and drawn < max_drawn:
                    hops = path(store, finding.origin, artifact, as_of_us)
                    drawn += 1
                report.findings.append(ExplainedFinding(finding, violation, hops, n + 1))
    return report


_CREATED = '"created":"'


def _month(row: NodeRow) -> str:
    """``YYYY-MM`` of the post's creation, read off its canonical attributes (sorted,
    compact, quotes inside values escaped: the key's text cannot occur in a value)."""
    at = row.attrs.find(_CREATED)
    month = row.attrs[at + len(_CREATED) : at + len(_CREATED) + 7] if at >= 0 else ""
    return month if len(month) == 7 and month[4] == "-" else "unknown"
