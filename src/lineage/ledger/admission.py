"""Admitting envelopes to the log: their canonical entry bytes, who may sign them, and the
graph rows they assert.

The rows written at append are projected from the signed payload itself (the bytes the
signature covers), never from a copy that travels beside the envelope: what the
projection holds is what was signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lineage.crypto.batchverify import SignedMessage
from lineage.crypto.dsse import MAX_ENVELOPE_BYTES, MAX_PAYLOAD_BYTES, Envelope
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.errors import InputError
from lineage.ledger.projection import project
from lineage.ledger.trust import TrustState, is_key_statement
from lineage.model.batch import BatchEnvelope
from lineage.model.item_columns import ItemColumns
from lineage.model.rows import GraphBatch
from lineage.model.signer import Signer
from lineage.model.statement import parse_statement

Located = tuple[str, Envelope]
"""An envelope and where it came from (``file:line``), for error messages."""


@dataclass(frozen=True)
class Candidate:
    """An envelope offered for the log, with its entry bytes and leaf hash."""

    location: str
    envelope: Envelope
    entry: bytes
    leaf: bytes

    @property
    def items(self) -> bytes | None:
        """The batch items travelling beside a Lineage/v2 envelope, if any."""
        return self.envelope.items if isinstance(self.envelope, BatchEnvelope) else None

    @property
    def columns(self) -> ItemColumns | None:
        """The same items as columns, if the columnar pipeline made them."""
        return self.envelope.columns if isinstance(self.envelope, BatchEnvelope) else None


def candidates(chunk: list[Located]) -> list[Candidate]:
    """The canonical entry bytes and leaf hash of each envelope of ``chunk``."""
    prepared = []
    for location, envelope in chunk:
        try:
            entry = envelope.canonical()
            if len(entry) > MAX_ENVELOPE_BYTES:
                raise InputError(
                    f"envelope is larger than {MAX_ENVELOPE_BYTES} bytes (its payload has"
                    f" {len(envelope.payload)}; at most {MAX_PAYLOAD_BYTES} fit)"
                )
        except InputError as exc:
            raise located_error(location, exc) from exc
        prepared.append(Candidate(location, envelope, entry, leaf_hash(entry)))
    return prepared


@dataclass
class Admitted:
    """Entries of one chunk that passed authorisation, with what they change."""

    items: list[Candidate] = field(default_factory=list)
    signed: list[SignedMessage] = field(default_factory=list)
    changed: list[Signer] = field(default_factory=list)
    graph: GraphBatch = field(default_factory=GraphBatch.empty)

    def admit(self, item: Candidate, index: int, trust: TrustState) -> None:
        """Authorise ``item`` as entry ``index`` and project its signed payload.

        Signatures of ordinary statements are checked later, all at once; those of key
        statements at once, since they change who may sign what follows.
        """
        envelope = item.envelope
        statement = parse_statement(envelope.payload)
        signer = trust.authorize(envelope.keyid, statement, index)
        project(index, signer.keyid, statement, self.graph, item.items, item.columns)
        if is_key_statement(statement):
            envelope.verify(signer.public_key)
        update = trust.apply(statement, index)
        self.signed.append((signer.public_key, envelope.signature, envelope.signing_input()))
        self.items.append(item)
        if update is not None:
            self.changed.append(update)


def located_error(location: str, exc: Exception) -> InputError:
    """``exc`` as an :class:`InputError` located at ``location`` (unless it has a location)."""
    if isinstance(exc, InputError):
        return exc.at(location) if not exc.location else exc
    return InputError(str(exc), location=location)
