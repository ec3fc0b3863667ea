"""Checking a bundle offline, in the order ``docs/bundle.md`` specifies: no store, no
network, only the bundle (and what the recipient already holds: the log's verifier key,
a checkpoint kept from before)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lineage.crypto.canonical import parse_canonical
from lineage.crypto.cosignature import Cosignature, WitnessPolicy
from lineage.crypto.dsse import Envelope, parse_envelope
from lineage.crypto.encoding import from_b64
from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.verify import verify_consistency, verify_inclusion
from lineage.crypto.note import Checkpoint, open_checkpoint, parse_verifier_key
from lineage.errors import LineageError
from lineage.evidence.claims import CheckInputs, check_claim
from lineage.evidence.format import Bundle, BundleEntry, decode_hashes
from lineage.evidence.outcome import Disclosed, NotProvenError, ProvenEntry
from lineage.ledger.projection import lineage_content, request_content
from lineage.ledger.trust import TrustState
from lineage.model.batch import (
    SECTIONS,
    Commitment,
    check_item,
    check_lines,
    commitment_of,
    is_v2,
    item_leaves,
    tree_root,
    verify_item,
)
from lineage.model.predicates import LINEAGE, POLICY_REGISTRATION, REQUEST
from lineage.model.statement import Statement, parse_statement


@dataclass
class BundleResult:
    """What a bundle proved, or the first check it failed."""

    claim: dict[str, Any]
    failure: NotProvenError | None = None
    checkpoint: Checkpoint | None = None
    entries: int = 0
    items: int = 0
    log_key_pinned: bool = False
    summary: str = ""
    """What was proven, in the verifier's own words (never the bundle's ``text``)."""
    consistent_with: int | None = None
    notes: list[str] = field(default_factory=list)
    cosignatures: list[Cosignature] | None = None
    """The witness cosignatures counted, when a witness policy was given."""

    @property
    def proven(self) -> bool:
        """Whether every check passed."""
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object."""
        out: dict[str, Any] = {"proven": self.proven, "claim": self.claim}
        if self.proven:
            out["proves"] = self.summary
        if self.failure is not None:
            failure = self.failure
            out["failure"] = {
                "class": failure.kind,
                "where": failure.where,
                "detail": failure.detail,
            }
        if self.checkpoint is not None:
            out["checkpoint"] = {"origin": self.checkpoint.origin, "size": self.checkpoint.size}
        out.update(
            entries=self.entries,
            items=self.items,
            log_key="pinned" if self.log_key_pinned else "from the bundle",
            consistent_with=self.consistent_with,
        )
        if self.cosignatures is not None:
            out["cosignatures"] = [c.to_json() for c in self.cosignatures]
        return out


def verify_bundle(
    bundle: Bundle,
    log_key: str | None = None,
    kept: str | None = None,
    witnesses: WitnessPolicy | None = None,
) -> BundleResult:
    """Check ``bundle`` (against the verifier key ``log_key`` and the checkpoint note
    ``kept``, when the recipient holds them; with ``witnesses``, its checkpoint counts
    only with the cosignatures that policy asks for)."""
    result = BundleResult(bundle.claim, log_key_pinned=log_key is not None)
    try:
        _check(bundle, log_key, kept, witnesses, result)
    except NotProvenError as failure:
        result.failure = failure
    return result


def _check(
    bundle: Bundle,
    log_key: str | None,
    kept: str | None,
    witnesses: WitnessPolicy | None,
    result: BundleResult,
) -> None:
    if log_key is not None and log_key.strip() != bundle.verifier_key:
        raise NotProvenError(
            "verifier-key", "log", "the bundle's verifier key is not the one given"
        )
    checkpoint, public = _checkpoint(bundle)
    result.checkpoint = checkpoint
    if witnesses is not None:
        try:
            result.cosignatures = witnesses.check(bundle.checkpoint)
        except LineageError as exc:
            raise NotProvenError("witness", "log", str(exc)) from exc
    result.consistent_with = _consistency(bundle, checkpoint, public, kept)
    entries = _entries(bundle, checkpoint, public)
    result.entries = len(entries)
    statements = {index: entry.statement for index, entry in entries.items()}
    disclosed = _items(bundle, statements)
    full = _full_batches(bundle, statements, disclosed)
    disclosed.extend(_inline_items(statements))
    result.items = len(disclosed)
    document = _policy(bundle, statements) if bundle.claim.get("kind") == "check" else None
    inputs = CheckInputs(document, full, checkpoint.size)
    result.summary = check_claim(bundle.claim, entries, disclosed, inputs)


def _checkpoint(bundle: Bundle) -> tuple[Checkpoint, PublicKey]:
    try:
        _, public = parse_verifier_key(bundle.verifier_key)
    except LineageError as exc:
        raise NotProvenError("verifier-key", "log", str(exc)) from exc
    try:
        return open_checkpoint(bundle.checkpoint, bundle.origin, public), public
    except LineageError as exc:
        raise NotProvenError("checkpoint", "log", str(exc)) from exc


def _consistency(
    bundle: Bundle, checkpoint: Checkpoint, public: PublicKey, kept: str | None
) -> int | None:
    """The size of the older checkpoint the bundle's is proven to extend, if any."""
    older = None
    if kept is not None:
        try:
            older = open_checkpoint(kept, bundle.origin, public)
        except LineageError as exc:
            raise NotProvenError("consistency", "log", f"the kept checkpoint: {exc}") from exc
        if older.size == checkpoint.size:
            if older.root != checkpoint.root:
                raise NotProvenError("consistency", "log", "same size, another root: a forked log")
            return older.size
        if bundle.consistency is None:
            raise NotProvenError("consistency", "log", "the bundle has no proof from the kept size")
    if bundle.consistency is None:
        return None
    note, encoded = bundle.consistency
    try:
        hashes = decode_hashes(encoded, "consistency.hashes")
        proven_from = open_checkpoint(note, bundle.origin, public)
        if older is not None and (proven_from.size, proven_from.root) != (
            older.size,
            older.root,
        ):
            raise NotProvenError("consistency", "log", "the proof starts from another checkpoint")
        verify_consistency(
            proven_from.size, checkpoint.size, proven_from.root, checkpoint.root, hashes
        )
    except LineageError as exc:
        raise NotProvenError("consistency", "log", str(exc)) from exc
    return proven_from.size


def _entries(bundle: Bundle, checkpoint: Checkpoint, public: PublicKey) -> dict[int, ProvenEntry]:
    trust = TrustState()
    statements: dict[int, ProvenEntry] = {}
    previous = -1
    for entry in bundle.entries:
        where = f"entry {entry.index}"
        if entry.index <= previous:
            raise NotProvenError("entry", where, "entries are not in increasing index order")
        if previous == -1 and entry.index != 0:
            raise NotProvenError(
                "entry", "entry 0", "entry 0 (the log key's registration) is missing"
            )
        previous = entry.index
        body, envelope, statement = _parse(entry)
        try:
            signer = trust.authorize(envelope.keyid, statement, entry.index)
        except LineageError as exc:
            raise NotProvenError("authorisation", where, str(exc)) from exc
        if entry.index == 0 and signer.public_key != public:
            raise NotProvenError("authorisation", where, "entry 0 does not register the log's key")
        try:
            envelope.verify(signer.public_key)
        except LineageError as exc:
            raise NotProvenError("signature", where, str(exc)) from exc
        try:
            inclusion = decode_hashes(entry.inclusion, "the inclusion proof")
            leaf = leaf_hash(body)
            verify_inclusion(entry.index, checkpoint.size, leaf, inclusion, checkpoint.root)
        except LineageError as exc:
            raise NotProvenError("inclusion", where, str(exc)) from exc
        try:
            trust.apply(statement, entry.index)
        except LineageError as exc:
            raise NotProvenError("authorisation", where, str(exc)) from exc
        statements[entry.index] = ProvenEntry(envelope.keyid, statement)
    return statements


def _parse(entry: BundleEntry) -> tuple[bytes, Envelope, Statement]:
    where = f"entry {entry.index}"
    try:
        body = from_b64(entry.body, "entry")
        envelope = parse_envelope(body)
        if envelope.canonical() != body:
            raise NotProvenError("entry", where, "the envelope is not in RFC 8785 form")
        return body, envelope, parse_statement(envelope.payload)
    except LineageError as exc:
        raise NotProvenError("entry", where, str(exc)) from exc


def _commitment(statements: dict[int, Statement], entry: int, where: str) -> Commitment:
    """What the batch statement ``entry`` of the bundle commits to (class ``item`` if it
    is not one)."""
    statement = statements.get(entry)
    if statement is None or not is_v2(statement):
        raise NotProvenError("item", where, f"entry {entry} is not a batch statement of the bundle")
    try:
        return commitment_of(statement)
    except LineageError as exc:
        raise NotProvenError("item", where, str(exc)) from exc


def _items(bundle: Bundle, statements: dict[int, Statement]) -> list[Disclosed]:
    """The disclosed items, each checked against its batch root."""
    disclosed: list[Disclosed] = []
    for n, item in enumerate(bundle.items):
        where = f"item {n}"
        commitment = _commitment(statements, item.entry, where)
        try:
            value = check_item(commitment, item.position, parse_canonical(item.text, "item"))
        except LineageError as exc:
            raise NotProvenError("item", where, str(exc)) from exc
        try:
            path = decode_hashes(item.path, "the batch path")
            verify_item(
                item.text, item.position, commitment.total, path, commitment.root, commitment.tag
            )
        except LineageError as exc:
            raise NotProvenError("batch-path", where, str(exc)) from exc
        disclosed.append(
            Disclosed(item.entry, item.position, commitment.section_of(item.position), value)
        )
    return disclosed


def _full_batches(
    bundle: Bundle, statements: dict[int, Statement], disclosed: list[Disclosed]
) -> dict[int, bytes]:
    """The batches carried in full (complete check bundles), each checked against its
    root; their items are added to ``disclosed``. Returns entry -> stored items."""
    full: dict[int, bytes] = {}
    for n, batch in enumerate(bundle.batches):
        where = f"batch {n}"
        commitment = _commitment(statements, batch.entry, where)
        try:
            sections = check_lines(commitment, batch.items)
        except LineageError as exc:
            raise NotProvenError("item", where, str(exc)) from exc
        leaves = item_leaves(batch.items, commitment.tag)
        if len(batch.items) != commitment.total or tree_root(leaves) != commitment.root:
            raise NotProvenError(
                "batch-path", where, "the items are not the batch the statement commits to"
            )
        names = SECTIONS[commitment.predicate_type]
        disclosed.extend(_numbered(batch.entry, zip(names, sections, strict=True)))
        full[batch.entry] = b"\n".join(batch.items)
    return full


def _inline_items(statements: dict[int, Statement]) -> list[Disclosed]:
    """The nodes, edges and requests inside the payloads of Lineage/v1 and Request/v1
    entries: disclosed whole by the entry itself."""
    found: list[Disclosed] = []
    for index, statement in statements.items():
        try:
            if statement.predicate_type == LINEAGE:
                nodes, edges = lineage_content(statement)
                sections: list[tuple[str, list[Any]]] = [("nodes", nodes), ("edges", edges)]
            elif statement.predicate_type == REQUEST:
                sections = [("requests", request_content(statement))]
            else:
                continue
        except LineageError as exc:
            raise NotProvenError("entry", f"entry {index}", str(exc)) from exc
        found.extend(_numbered(index, sections))
    return found


def _numbered(entry: int, sections: Iterable[tuple[str, list[Any]]]) -> list[Disclosed]:
    """The items of ``entry``, section by section, each with its position in the batch."""
    items = [(name, value) for name, values in sections for value in values]
    return [Disclosed(entry, n, name, value) for n, (name, value) in enumerate(items)]


def _policy(bundle: Bundle, statements: dict[int, Statement]) -> bytes:
    """The policy document of a check bundle, checked against its registration."""
    evidence = bundle.policy
    if evidence is None:
        raise NotProvenError("policy", "policy", "a check bundle carries its policy")
    try:
        document = from_b64(evidence.document, "policy.document")
    except LineageError as exc:
        raise NotProvenError("policy", "policy", str(exc)) from exc
    registration = statements.get(evidence.registration)
    if registration is None or registration.predicate_type != POLICY_REGISTRATION:
        raise NotProvenError(
            "policy",
            "policy",
            f"entry {evidence.registration} is not a policy registration of the bundle",
        )
    registered = registration.predicate.get("policy")
    claimed = bundle.claim.get("policy")
    if not isinstance(claimed, dict):
        raise NotProvenError("claim", "claim", "a check claim names its policy")
    if not isinstance(registered, dict) or any(
        registered.get(name) != claimed.get(name) for name in ("id", "version", "sha256")
    ):
        raise NotProvenError(
            "policy", "policy", "the registration names another policy id, version or digest"
        )
    if hashlib.sha256(document).hexdigest() != registered.get("sha256"):
        raise NotProvenError(
            "policy", "policy", "the policy document is not the file the ledger registered"
        )
    return document
