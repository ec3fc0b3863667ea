"""Checking a bundle offline, in the order ``docs/bundle.md`` specifies: no store, no
network, only the bundle (and what the recipient already holds: the log's verifier key,
a checkpoint kept from before)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from lineage.crypto.canonical import parse_canonical
from lineage.crypto.dsse import Envelope, parse_envelope
from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.verify import verify_consistency, verify_inclusion
from lineage.crypto.note import Checkpoint, open_checkpoint, parse_verifier_key
from lineage.errors import LineageError
from lineage.evidence.format import Bundle, BundleEntry, decode_b64, decode_hashes
from lineage.ledger.trust import TrustState
from lineage.model.batch import commitment_of, is_v2, verify_item
from lineage.model.graph import DROPPED, EDGE_RULES, check_edges, check_nodes
from lineage.model.statement import Statement, parse_statement


class NotProvenError(Exception):
    """The first check a bundle fails: its class, where, and what was found."""

    def __init__(self, kind: str, where: str, detail: str) -> None:
        self.kind, self.where, self.detail = kind, where, detail
        super().__init__(f"NOT PROVEN: {kind} at {where}: {detail}")


@dataclass
class BundleResult:
    """What a bundle proved, or the first check it failed."""

    claim: dict[str, Any]
    failure: NotProvenError | None = None
    checkpoint: Checkpoint | None = None
    entries: int = 0
    items: int = 0
    log_key_pinned: bool = False
    consistent_with: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        """Whether every check passed."""
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object."""
        out: dict[str, Any] = {"proven": self.proven, "claim": self.claim}
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
        return out


def verify_bundle(
    bundle: Bundle, log_key: str | None = None, kept: str | None = None
) -> BundleResult:
    """Check ``bundle`` (against the verifier key ``log_key`` and the checkpoint note
    ``kept``, when the recipient holds them)."""
    result = BundleResult(bundle.claim, log_key_pinned=log_key is not None)
    try:
        _check(bundle, log_key, kept, result)
    except NotProvenError as failure:
        result.failure = failure
    return result


def _check(bundle: Bundle, log_key: str | None, kept: str | None, result: BundleResult) -> None:
    if log_key is not None and log_key.strip() != bundle.verifier_key:
        raise NotProvenError(
            "verifier-key", "log", "the bundle's verifier key is not the one given"
        )
    checkpoint, public = _checkpoint(bundle)
    result.checkpoint = checkpoint
    result.consistent_with = _consistency(bundle, checkpoint, public, kept)
    statements = _entries(bundle, checkpoint, public)
    result.entries = len(statements)
    edges = _items(bundle, statements)
    result.items = len(bundle.items)
    _claim(bundle.claim, edges)


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


def _entries(bundle: Bundle, checkpoint: Checkpoint, public: PublicKey) -> dict[int, Statement]:
    trust = TrustState()
    statements: dict[int, Statement] = {}
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
        statements[entry.index] = statement
    return statements


def _parse(entry: BundleEntry) -> tuple[bytes, Envelope, Statement]:
    where = f"entry {entry.index}"
    try:
        body = decode_b64(entry.body, "the entry")
        envelope = parse_envelope(body)
        if envelope.canonical() != body:
            raise NotProvenError("entry", where, "the envelope is not in RFC 8785 form")
        return body, envelope, parse_statement(envelope.payload)
    except LineageError as exc:
        raise NotProvenError("entry", where, str(exc)) from exc


def _items(bundle: Bundle, statements: dict[int, Statement]) -> list[list[str]]:
    """The disclosed edges, each checked against its batch root."""
    edges: list[list[str]] = []
    for n, item in enumerate(bundle.items):
        where = f"item {n}"
        statement = statements.get(item.entry)
        if statement is None or not is_v2(statement):
            raise NotProvenError(
                "item", where, f"entry {item.entry} is not a Lineage/v2 entry of the bundle"
            )
        try:
            commitment = commitment_of(statement)
            count = commitment.nodes + commitment.edges
            if not 0 <= item.position < count:
                raise NotProvenError(
                    "item", where, f"position {item.position} is not below {count}"
                )
            value = parse_canonical(item.text, "item")
            if item.position < commitment.nodes:
                check_nodes([value], "item")
            else:
                edges.extend(check_edges([value], "item"))
        except LineageError as exc:
            raise NotProvenError("item", where, str(exc)) from exc
        try:
            path = decode_hashes(item.path, "the batch path")
            verify_item(item.text, item.position, count, path, commitment.root)
        except LineageError as exc:
            raise NotProvenError("batch-path", where, str(exc)) from exc
    return edges


def _claim(claim: dict[str, Any], edges: list[list[str]]) -> None:
    if claim.get("kind") != "path":
        raise NotProvenError(
            "claim", "claim", f"unknown claim kind {str(claim.get('kind'))[:40]!r}"
        )
    post, artifact = claim.get("post"), claim.get("artifact")
    if not isinstance(post, str) or not isinstance(artifact, str):
        raise NotProvenError("claim", "claim", "a path claim names a post and an artifact")
    downstream: dict[str, list[str]] = {}
    for kind, src, dst in edges:
        if kind == DROPPED:
            continue
        up, down = (src, dst) if EDGE_RULES[kind][2] else (dst, src)
        downstream.setdefault(up, []).append(down)
    seen, queue = {post}, deque([post])
    while queue:
        for node in downstream.get(queue.popleft(), []):
            if node not in seen:
                seen.add(node)
                queue.append(node)
    if artifact not in seen:
        raise NotProvenError(
            "claim", "claim", f"the disclosed edges do not lead from {post} to {artifact}"
        )
