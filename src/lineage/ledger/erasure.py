"""Erasure by crypto-shredding, and receipts for a person's requests.

``erase_author`` makes sure the person's erasure request is in the ledger (it records
one, signed by the log key, if the pipeline has not), takes the request's receipt
(the entry and its inclusion proof against a signed checkpoint) while the person can
still be named, appends an ``Erasure/v1`` statement that records only that an erasure
happened and when, and deletes the subject's key and raw-id bindings. The ledger is
untouched otherwise, so it still verifies; the subject's pseudonyms stay in it, but
nothing left in the store links them to the person.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.crypto.keys import SigningKey
from lineage.errors import InputError
from lineage.ledger.log import InclusionProof, Ledger
from lineage.model import predicates
from lineage.model.identity import Identities
from lineage.model.requests import ERASURE, OBJECTION, REQUEST_PREDICATE
from lineage.model.rows import RequestRow
from lineage.model.times import format_time, format_us, now

ERASURE_PREDICATE = predicates.ERASURE


@dataclass(frozen=True)
class Receipt:
    """Evidence that a request was recorded: its entry, proven against a checkpoint."""

    request: RequestRow
    proof: InclusionProof

    def to_json(self) -> dict[str, Any]:
        """The receipt as a JSON object: the request, its times and entry, and the proof."""
        return {
            "kind": self.request.kind,
            "subject": self.request.target,
            "made": format_us(self.request.at_us),
            "recorded": format_us(self.request.time_us),
            "entry": self.request.entry,
            "proof": self.proof.to_json(),
        }


@dataclass(frozen=True)
class ErasureResult:
    """What erasing an author did: whether anything was erased, the receipt and entry."""

    erased: bool
    receipt: Receipt | None = None
    erasure_entry: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object (receipt and entry null if nothing was erased)."""
        return {
            "erased": self.erased,
            "receipt": self.receipt.to_json() if self.receipt else None,
            "erasure_entry": self.erasure_entry,
        }


def _nonce() -> str:
    """A random subject digest: each request or erasure statement is unique, and says
    nothing of whom it concerns beyond its predicate."""
    return hashlib.sha256(os.urandom(32)).hexdigest()


def receipts(ledger: Ledger, author: str) -> list[Receipt]:
    """The author's recorded objection and erasure requests, each with its proof."""
    subject = Identities(ledger.store.identities()).subject(author, create=False)
    if subject is None:
        raise InputError(f"no author {author!r} in the ledger (never recorded, or erased)")
    rows = ledger.store.requests_of([subject.node_id])
    wanted = [r for r in rows if r.kind in (OBJECTION, ERASURE)]
    return [Receipt(r, ledger.inclusion_proof(r.entry)) for r in wanted]


def erase_author(
    ledger: Ledger, log_key: SigningKey, author: str, requested_at: datetime | None = None
) -> ErasureResult:
    """Erase ``author``; ``ErasureResult(erased=False)`` if there is no such author (any
    more): erasing twice changes nothing."""
    identities = ledger.store.identities()
    subject = Identities(identities).subject(author, create=False)
    if subject is None:
        return ErasureResult(False)
    node = subject.node_id
    recorded = [r for r in ledger.store.requests_of([node]) if r.kind == ERASURE]
    if not recorded:
        at = format_time(requested_at or now())
        fields = {"requests": [[ERASURE, node, at]]}
        ledger.admin_statement(log_key, ("lineage-requests", _nonce()), REQUEST_PREDICATE, fields)
        recorded = [r for r in ledger.store.requests_of([node]) if r.kind == ERASURE]
    request = recorded[0]
    receipt = Receipt(request, ledger.inclusion_proof(request.entry))
    erasure = ("lineage-erasure", _nonce())
    entry = ledger.admin_statement(log_key, erasure, ERASURE_PREDICATE, {"erasures": 1})
    identities.erase_subject(subject.lookup)
    return ErasureResult(True, receipt, entry)
