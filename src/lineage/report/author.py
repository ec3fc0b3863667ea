"""A privacy team's report on one author: everything downstream of their posts (shards,
datasets, models), the remediation plan, their recorded requests and the receipts that
prove them. The author is named by the ledger's pseudonym only: the platform id the
team typed is not written into the file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lineage.ledger.erasure import Receipt, target_receipts
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.ledger.projection import time_us
from lineage.model.requests import ERASURE, OBJECTION
from lineage.model.times import format_us
from lineage.query.nodes import require_node
from lineage.query.plan import Plan, remediation_plan
from lineage.query.resolve import resolve


@dataclass
class AuthorReport:
    """What ``lineage report --author A`` shows."""

    origin: str
    subject: str
    as_of_us: int | None
    generated_us: int
    plan: Plan
    receipts: list[Receipt]
    checkpoint: str | None
    checkpoint_size: int

    def to_json(self) -> dict[str, Any]:
        """The report's content as one JSON object."""
        return {
            "log": self.origin,
            "subject": self.subject,
            "as_of": format_us(self.as_of_us) if self.as_of_us is not None else None,
            "generated": format_us(self.generated_us),
            "impact": self.plan.impact.to_json(),
            "plan": self.plan.to_json(),
            "receipts": [receipt.to_json() for receipt in self.receipts],
            "checkpoint": {"size": self.checkpoint_size, "note": self.checkpoint},
        }


def author_report(ledger: Ledger, author: str, *, as_of: datetime | None = None) -> AuthorReport:
    """The report on ``author`` (a platform author id or a ``subject:`` id)."""
    as_of_us = time_us(as_of) if as_of is not None else None
    store = ledger.store
    with store.snapshot():
        subject = author if author.startswith("subject:") else resolve(ledger, None, author=author)
        require_node(store, subject, as_of_us)
        checkpoint = ledger.latest_checkpoint()
        plan = remediation_plan(store, subject, as_of_us)
        receipts = target_receipts(ledger, subject, (OBJECTION, ERASURE))
        if as_of_us is not None:
            receipts = [r for r in receipts if r.request.time_us <= as_of_us]
        return AuthorReport(
            ledger.origin,
            subject,
            as_of_us,
            time_us(datetime.now(UTC)),
            plan,
            receipts,
            checkpoint,
            checkpoint_of(checkpoint).size if checkpoint else ledger.size(),
        )
