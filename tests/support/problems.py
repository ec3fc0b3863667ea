"""Assertions on verification reports: the kind of each problem, and what it is about."""

from __future__ import annotations

from lineage.ledger.verify import ProblemKind, VerifyReport


def has_problem(
    report: VerifyReport, kind: ProblemKind, about: str = "", entry: int | None = None
) -> bool:
    """True if ``report`` has a problem of ``kind`` whose detail starts with ``about``
    (and that concerns ``entry``, if given)."""
    return any(
        p.kind == kind and p.detail.startswith(about) and (entry is None or p.entry == entry)
        for p in report.problems
    )
