"""Erasure by crypto-shredding, and receipts for a person's requests.

``erase_author`` checks the author's key against the ledger (so that no one else's key
is shredded), makes sure the person's erasure request is in the ledger (it records one,
signed by the log key, if the pipeline has not), takes the request's receipt (the entry
and its inclusion proof against a signed checkpoint) while the person can still be
named, appends an ``Erasure/v1`` statement that records only that an erasure happened,
when, and which request it answers (never whom), and deletes the subject's key and
raw-id bindings. The ledger is untouched otherwise, so it still verifies; the subject's
pseudonyms stay in it, but nothing left in the store links them to the person.

Each step can be interrupted (crash points ``erase.after-request``,
``erase.after-statement``, ``erase.after-key-deletion``); running the erasure again
completes it: an Erasure statement that already answers the request is not appended a
second time, and the store's files are scrubbed of the deleted key's bytes even when
nothing is left to delete.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.crypto.dsse import parse_envelope
from lineage.crypto.keys import SigningKey
from lineage.errors import InputError, KeyTableError, VerificationError
from lineage.faults import reached
from lineage.ledger.evidence import InclusionProof
from lineage.ledger.log import Ledger
from lineage.ledger.projection import request_content
from lineage.ledger.subjects import resolve_checked
from lineage.model import predicates
from lineage.model.identity import AUTHOR
from lineage.model.predicates import REQUEST_V2
from lineage.model.requests import ERASURE, OBJECTION, REQUEST_PREDICATE
from lineage.model.rows import RequestRow
from lineage.model.statement import parse_statement
from lineage.model.times import format_time, format_us, now
from lineage.store.base import Store, table_rows

ERASURE_PREDICATE = predicates.ERASURE
_RECEIPT_ID = re.compile(r"([0-9]{1,12}):([0-9]{1,9})\Z")


@dataclass(frozen=True)
class Receipt:
    """Evidence that a request was recorded: its entry (and its position there, in a
    batch), proven against a checkpoint, and the erasure that answered it."""

    request: RequestRow
    proof: InclusionProof
    position: int
    """The request's place among those its entry records."""
    answered_by: int | None = None

    @property
    def id(self) -> str:
        """The receipt's id, ``ENTRY:POSITION``: it finds the receipt again after the
        person's key is erased, and names no one."""
        return f"{self.request.entry}:{self.position}"

    def to_json(self) -> dict[str, Any]:
        """The receipt as a JSON object: the request, its times and entry, and the proof."""
        return {
            "id": self.id,
            "kind": self.request.kind,
            "subject": self.request.target,
            "made": format_us(self.request.at_us),
            "recorded": format_us(self.request.time_us),
            "entry": self.request.entry,
            "position": self.position,
            "answered_by": self.answered_by,
            "proof": self.proof.to_json(),
        }


@dataclass(frozen=True)
class ErasureResult:
    """What erasing an author did: whether anything was erased, the receipt and entry."""

    erased: bool
    receipt: Receipt | None = None
    erasure_entry: int | None = None
    key_checked: bool = True
    """False if the ledger declared the subject without a binding (from before bindings):
    the key could not be checked against the author id."""

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object (receipt and entry null if nothing was erased)."""
        return {
            "erased": self.erased,
            "receipt": self.receipt.to_json() if self.receipt else None,
            "erasure_entry": self.erasure_entry,
            "key_checked": self.key_checked,
        }


def _nonce() -> str:
    """A random subject digest: each request or erasure statement is unique, and says
    nothing of whom it concerns beyond its predicate."""
    return hashlib.sha256(os.urandom(32)).hexdigest()


def receipts(ledger: Ledger, author: str) -> list[Receipt]:
    """The author's recorded objection and erasure requests, each with its proof."""
    found = resolve_checked(ledger, AUTHOR, author)
    if found is None:
        raise InputError(
            f"no author {author[:80]!r} in the ledger (never recorded, or erased: an erased"
            " person's receipts are found by the receipt id the erasure printed)"
        )
    return target_receipts(ledger, found.node_id, (OBJECTION, ERASURE))


def target_receipts(ledger: Ledger, target: str, kinds: tuple[str, ...]) -> list[Receipt]:
    """The requests of ``kinds`` about ``target`` (a ``subject:`` or ``post:`` id), each
    with its proof and the erasure that answered it."""
    answered = answered_requests(ledger.store)
    positions = RequestPositions(ledger.store)
    found = []
    for row in ledger.store.requests_of([target]):
        if row.kind in kinds:
            position = positions.of(row)
            answer = answered.get((row.entry, position), answered.get((row.entry, None)))
            proof = ledger.inclusion_proof(row.entry)
            found.append(Receipt(row, proof, position, answer if row.kind == ERASURE else None))
    return found


def receipt_by_id(ledger: Ledger, receipt_id: str) -> Receipt:
    """The receipt ``receipt_id`` (``ENTRY:POSITION``, as ``erase`` printed it): needs no
    raw id, so it is found after the person's key is erased."""
    match = _RECEIPT_ID.match(receipt_id)
    if match is None:
        raise InputError(f"receipt id {receipt_id[:40]!r} is not ENTRY:POSITION (e.g. 70:3)")
    entry, position = int(match[1]), int(match[2])
    ledger.entry(entry)
    requests = recorded_requests(ledger.store, entry)
    if position >= len(requests):
        raise InputError(f"no request is recorded as {receipt_id!r}")
    kind, target, _ = requests[position]
    for receipt in target_receipts(ledger, target, (kind,)):
        if receipt.request.entry == entry and receipt.position == position:
            return receipt
    raise InputError(f"no request is recorded as {receipt_id!r}")


def recorded_requests(store: Store, entry: int, body: bytes | None = None) -> list[list[str]]:
    """The requests entry ``entry`` records, in order (none if it is no request
    statement): a Request/v2 statement's items checked against the root it signs, a
    Request/v1 statement's from its payload. ``body``: the entry's bytes, already proven.
    :class:`VerificationError` if the stored requests are not what the entry signs."""
    if body is None:
        stored = store.entry(entry)
        if stored is None:
            raise VerificationError(f"entry {entry} is missing from the store; run lineage verify")
        body = stored[1]
    statement = parse_statement(parse_envelope(body).payload)
    if statement.predicate_type not in (REQUEST_PREDICATE, REQUEST_V2):
        return []
    try:
        return request_content(statement, store.batch(entry))
    except InputError as exc:
        raise VerificationError(
            f"the requests stored for entry {entry} are not the ones it signs ({exc}):"
            " run lineage verify"
        ) from exc


class RequestPositions:
    """Where each request sits among those its entry records (see
    :func:`recorded_requests`): each entry is read, and its batch checked, once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._entries: dict[int, dict[tuple[str, str], int]] = {}

    def of(self, row: RequestRow, body: bytes | None = None) -> int:
        """The position of request ``row`` (``body``: its entry's bytes, already proven)."""
        found = self._entries.get(row.entry)
        if found is None:
            requests = recorded_requests(self.store, row.entry, body)
            found = {(kind, target): n for n, (kind, target, _) in enumerate(requests)}
            self._entries[row.entry] = found
        position = found.get((row.kind, row.target))
        if position is None:
            raise VerificationError(
                f"entry {row.entry} records no {row.kind} request of {row.target}: the"
                " request table was changed outside lineage; run lineage verify"
            )
        return position


def erase_author(
    ledger: Ledger,
    log_key: SigningKey,
    author: str,
    requested_at: datetime | None = None,
    *,
    unchecked: bool = False,
) -> ErasureResult:
    """Erase ``author``; ``ErasureResult(erased=False)`` if there is no such author (any
    more): erasing twice changes nothing, but finishes an erasure a crash interrupted.

    An author whose subject the ledger declared without a binding (before subjects
    carried one) cannot have their key checked against their id: refused unless
    ``unchecked``, the operator's word that the key tables are as lineage wrote them."""
    identities = ledger.store.identities()
    found = resolve_checked(ledger, AUTHOR, author)
    if found is None:
        identities.scrub()
        return ErasureResult(False)
    if not found.checked and not unchecked:
        raise KeyTableError(
            f"the ledger declared author {author[:80]!r} before subjects carried a binding,"
            " so the key the key tables give cannot be checked against the author id;"
            " erase with --unchecked only if lineage verify passes and you trust the key"
            " tables"
        )
    request = _erasure_request(ledger, log_key, found.node_id, requested_at)
    reached("erase.after-request")
    # the position is signed into the Erasure statement: read from the proven entry
    position = RequestPositions(ledger.store).of(request, ledger.proven_entry(request.entry))
    answered = answered_requests(ledger.store)
    entry = answered.get((request.entry, position), answered.get((request.entry, None)))
    if entry is None:
        fields = {"erasures": 1, "request": request.entry, "item": position}
        entry = ledger.admin_statement(
            log_key, ("lineage-erasure", _nonce()), ERASURE_PREDICATE, fields
        )
    reached("erase.after-statement")
    receipt = Receipt(request, ledger.inclusion_proof(request.entry), position, entry)
    identities.erase_subject(found.subject.lookup)
    return ErasureResult(True, receipt, entry, found.checked)


def _erasure_request(
    ledger: Ledger, log_key: SigningKey, node: str, requested_at: datetime | None
) -> RequestRow:
    """The subject's first recorded erasure request, recorded now if there is none."""
    recorded = [r for r in ledger.store.requests_of([node]) if r.kind == ERASURE]
    if not recorded:
        at = format_time(requested_at or now())
        ledger.admin_batch(log_key, REQUEST_V2, [[[ERASURE, node, at]]])
        recorded = [r for r in ledger.store.requests_of([node]) if r.kind == ERASURE]
    return recorded[0]


def answered_requests(store: Store) -> dict[tuple[int, int | None], int]:
    """(request entry, position of the request in it) -> the entry of the Erasure
    statement that answers it; the position is None for an Erasure statement that names
    only the entry (written before positions: it answers every erasure request there)."""
    answered: dict[tuple[int, int | None], int] = {}
    for entry in store.entries_of_type([ERASURE_PREDICATE]):
        stored = store.entry(entry)
        if stored is None:
            continue
        predicate = parse_statement(parse_envelope(stored[1]).payload).predicate
        request, item = predicate.get("request"), predicate.get("item")
        if type(request) is int and (item is None or type(item) is int):
            answered.setdefault((request, item), entry)
    return answered


def erased_subjects(store: Store) -> set[str]:
    """The subject nodes whose erasure an Erasure statement records (their keys may
    still be in the store if that erasure was interrupted: they must not be copied)."""
    answered = answered_requests(store)
    positions = RequestPositions(store)
    return {
        row.target
        for row in table_rows(store, RequestRow)
        if row.kind == ERASURE
        and ((row.entry, None) in answered or (row.entry, positions.of(row)) in answered)
    }
