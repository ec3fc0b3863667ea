"""A compliance gate in one call: read a policy file, check an artifact against it (as
the ledger stood at a time, if given), prove the ledger entries its findings cite, and
record the result in the ledger if asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lineage.crypto.keys import SigningKey
from lineage.ledger.evidence import InclusionProof
from lineage.ledger.log import Ledger
from lineage.policy.cel_env import Evaluator
from lineage.policy.check import MAX_LISTED, CheckReport, check
from lineage.policy.document import Policy, read_policy
from lineage.policy.registry import record_check, registered


@dataclass(frozen=True)
class GateResult:
    """A check's report, the inclusion proofs of the entries its findings cite (if asked
    for), and the entry that recorded the result (if it was recorded)."""

    report: CheckReport
    proofs: dict[int, InclusionProof]
    recorded_entry: int | None

    def to_json(self) -> dict[str, Any]:
        """The report with its proofs and recorded entry, as one JSON object."""
        return {
            **self.report.to_json(),
            "proofs": {str(e): proof.to_json() for e, proof in sorted(self.proofs.items())},
            "recorded_entry": self.recorded_entry,
        }


def evidence_entries(report: CheckReport) -> list[int]:
    """The ledger entries the listed violations and notices cite, in order."""
    listed = [*report.findings, *report.notice_findings]
    return sorted({entry for finding in listed for entry in finding.entries})


def run_check(
    ledger: Ledger,
    artifact: str,
    policy_file: Path | Policy,
    *,
    as_of: datetime | None = None,
    max_listed: int = MAX_LISTED,
    with_proofs: bool = False,
    record_with: SigningKey | None = None,
    progress: Callable[[int], None] | None = None,
) -> GateResult:
    """Check ``artifact`` against the policy in ``policy_file`` (or ``policy_file`` itself,
    a policy already read, e.g. from its registration); a registered policy of the same
    id and version must be this very file. ``record_with`` (the log key) appends the
    result as a signed statement."""
    policy = policy_file if isinstance(policy_file, Policy) else read_policy(policy_file)
    evaluator = Evaluator(policy)
    registration = registered(ledger, policy)
    report = check(
        ledger.store,
        artifact,
        evaluator,
        as_of=as_of,
        registered_entry=registration.entry if registration else None,
        max_listed=max_listed,
        progress=progress,
    )
    proofs = (
        {entry: ledger.inclusion_proof(entry) for entry in evidence_entries(report)}
        if with_proofs
        else {}
    )
    recorded = record_check(ledger, record_with, report) if record_with is not None else None
    return GateResult(report, proofs, recorded)
