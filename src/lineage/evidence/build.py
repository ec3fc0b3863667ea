"""Writing bundles: the entries, proofs, disclosed items and key statements that prove a
claim, read from a ledger in one consistent view (``docs/bundle.md``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lineage.crypto.dsse import parse_envelope
from lineage.crypto.encoding import b64
from lineage.crypto.note import verifier_key
from lineage.errors import InputError, OutOfRangeError
from lineage.evidence.format import BUNDLE_MEDIA_TYPE, BUNDLE_VERSION, MAX_BUNDLE_BYTES
from lineage.ledger.erasure import Receipt
from lineage.ledger.evidence import BatchItem
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.model.batch import encode_items, is_v2, path_in
from lineage.model.graph import ID_PREFIX, POST, flow_ends
from lineage.model.predicates import KEY_REGISTRATION, KEY_REVOCATION
from lineage.model.rows import EdgeRow
from lineage.model.statement import Statement, parse_statement
from lineage.model.times import format_us
from lineage.policy.check import MAX_LISTED, UNKNOWN_ORIGIN, CheckReport, Finding, check
from lineage.policy.document import Policy
from lineage.policy.registry import registered
from lineage.query.trace import path as path_of

_KEY_STATEMENTS = (KEY_REGISTRATION, KEY_REVOCATION)
POST_PREFIX = ID_PREFIX[POST]


def edge_item(edge: EdgeRow) -> list[str]:
    """An edge row as the item its statement asserted (``[kind, src, dst]``)."""
    return [edge.kind, *flow_ends(edge.kind, edge.up, edge.down)]


@dataclass
class _Entry:
    statement: Statement
    keyid: str
    body: bytes
    lines: list[bytes] = field(default_factory=list)
    positions: dict[bytes, int] = field(default_factory=dict)
    levels: list[list[bytes]] = field(default_factory=list)

    def item(self, index: int, position: int) -> BatchItem:
        """Item ``position`` of this entry's batch with its path to the root."""
        return BatchItem(index, position, self.lines[position], path_in(self.levels, position))


class BundleWriter:
    """Collects what a bundle discloses, then writes it against one checkpoint.

    ``whole_v1``: an item of a Lineage/v1 or Request/v1 entry is disclosed by the whole
    entry (with everything else its payload holds); otherwise such an item is refused."""

    def __init__(self, ledger: Ledger, *, whole_v1: bool = False) -> None:
        self.ledger = ledger
        self.whole_v1 = whole_v1
        self._full: list[int] = []
        self.size, self.note = ledger.store.latest_checkpoint() or (0, "")
        if not self.size:
            raise OutOfRangeError("the log has no checkpoint yet")
        self._entries: dict[int, _Entry] = {}
        self._items: list[dict[str, Any]] = []
        self._disclosed: set[tuple[int, int]] = set()

    def _entry(self, index: int) -> _Entry:
        found = self._entries.get(index)
        if found is None:
            if index >= self.size:
                raise OutOfRangeError(f"entry {index} is after the latest checkpoint")
            body = self.ledger.entry(index).body
            envelope = parse_envelope(body)
            found = _Entry(parse_statement(envelope.payload), envelope.keyid, body)
            self._entries[index] = found
        return found

    def _batch(self, index: int) -> _Entry | None:
        """Entry ``index`` with its batch read and its tree built; None for a v1 entry
        when ``whole_v1`` (it is disclosed whole)."""
        entry = self._entry(index)
        if not is_v2(entry.statement):
            if self.whole_v1:
                return None
            raise InputError(
                f"entry {index} is a {entry.statement.predicate_type} statement: its items"
                " cannot be disclosed one by one (bundles prove what Lineage/v2 statements"
                " record)"
            )
        if not entry.lines:
            entry.lines, entry.levels = self.ledger.batch_tree(index, entry.statement)
            entry.positions = {line: n for n, line in enumerate(entry.lines)}
        return entry

    def disclose(self, index: int, item: list[Any]) -> None:
        """Disclose one item of the batch of entry ``index`` with its path."""
        entry = self._batch(index)
        if entry is None:
            return
        encoded = encode_items([item])
        position = entry.positions.get(encoded)
        if position is None:
            raise InputError(
                f"entry {index} does not hold {encoded[:120].decode()}: run lineage verify"
            )
        self._add(entry, index, position)

    def disclose_position(self, index: int, position: int) -> None:
        """Disclose item ``position`` of the batch of entry ``index`` with its path."""
        entry = self._batch(index)
        if entry is None:
            return
        if not 0 <= position < len(entry.lines):
            raise InputError(f"entry {index} has no item {position}")
        self._add(entry, index, position)

    def _add(self, entry: _Entry, index: int, position: int) -> None:
        if (index, position) not in self._disclosed:
            self._disclosed.add((index, position))
            self._items.append(entry.item(index, position).to_json())

    def include(self, index: int) -> None:
        """Add entry ``index`` (whole: it discloses no one's items) to the bundle."""
        self._entry(index)

    def include_all(self) -> None:
        """Add every entry of the checkpoint, each batch in full (a complete bundle)."""
        for index in range(self.size):
            if is_v2(self._entry(index).statement):
                self._full.append(index)

    def full_batches(self) -> list[dict[str, Any]]:
        """The batches carried in full, as the bundle's ``batches`` member (refused past
        what a verifier reads: :data:`MAX_BUNDLE_BYTES`)."""
        out, total = [], 0
        for index in self._full:
            lines, _ = self.ledger.batch_tree(index, self._entry(index).statement)
            total += sum(len(line) + 3 for line in lines)
            if total > MAX_BUNDLE_BYTES // 2:
                raise InputError(
                    "a complete bundle of this ledger would be larger than a verifier reads"
                    f" ({MAX_BUNDLE_BYTES // 2**20} MiB): bundle the listed findings instead"
                )
            out.append({"entry": index, "items": [line.decode() for line in lines]})
        return out

    def _key_entries(self) -> set[int]:
        """Entry 0 and every key statement of each key that signed a disclosed entry, and
        of each admin key that signed those, within the checkpoint."""
        by_key: dict[str, list[int]] = {}
        for index in self.ledger.store.entries_of_type(_KEY_STATEMENTS):
            if index < self.size:
                keyid = self._entry(index).statement.predicate.get("keyid")
                if isinstance(keyid, str):
                    by_key.setdefault(keyid, []).append(index)
        wanted, done = {0}, set()
        todo = {self._entry(index).keyid for index in self._entries} | {self._entry(0).keyid}
        while todo:
            keyid = todo.pop()
            done.add(keyid)
            for index in by_key.get(keyid, []):
                wanted.add(index)
                signer = self._entry(index).keyid
                if signer not in done:
                    todo.add(signer)
        return wanted

    def document(self, claim: dict[str, Any], since: str | None = None) -> dict[str, Any]:
        """The bundle of everything disclosed, proving ``claim``."""
        indexes = sorted(set(self._entries) | self._key_entries())
        entries = []
        for index in indexes:
            proof = self.ledger.inclusion_proof(index, self.size)
            entries.append(
                {
                    "index": index,
                    "entry": b64(self._entry(index).body),
                    "inclusion": [b64(h) for h in proof.hashes],
                }
            )
        bundle: dict[str, Any] = {
            "mediaType": BUNDLE_MEDIA_TYPE,
            "version": BUNDLE_VERSION,
            "claim": claim,
            "log": {
                "origin": self.ledger.origin,
                "verifierKey": verifier_key(self.ledger.origin, self.ledger.log_public_key),
                "checkpoint": self.note,
            },
            "entries": entries,
            "items": self._items,
        }
        if since is not None:
            bundle["consistency"] = self._consistency(since)
        if self._full:
            bundle["batches"] = self.full_batches()
        return bundle

    def _consistency(self, kept: str) -> dict[str, Any]:
        """The proof that the checkpoint ``kept`` (one of this log's) is a prefix of the
        bundle's."""
        old_size = checkpoint_of(kept).size
        if old_size > self.size:
            raise InputError(
                f"the kept checkpoint has {old_size} entries, the log's latest {self.size}"
            )
        stored = self.ledger.store.checkpoint_at(old_size)
        if stored is None or checkpoint_of(stored).root != checkpoint_of(kept).root:
            raise InputError(
                f"the kept checkpoint of size {old_size} is not one this log signed"
                " (another root): the log may have been forked"
            )
        proof = self.ledger.consistency(old_size, self.size)
        return {"checkpoint": kept, "hashes": [b64(h) for h in proof.hashes]}


def path_bundle(
    ledger: Ledger, post: str, artifact: str, since: str | None = None
) -> dict[str, Any]:
    """A bundle proving that ``post`` (a node id) reaches ``artifact``: the path's edges
    and the post's node, disclosed from their batches, and nothing else of them."""
    if post == artifact:
        raise InputError(f"{post} is the artifact itself: name the artifact it reaches")
    with ledger.store.snapshot():
        writer = BundleWriter(ledger)
        hops = path_of(ledger.store, post, artifact)
        node = ledger.store.node(post)
        if node is not None:
            writer.disclose(node.entry, [node.kind, node.id, node.attributes()])
        for hop in hops:
            writer.disclose(hop.edge.entry, edge_item(hop.edge))
        claim = {
            "kind": "path",
            "post": post,
            "artifact": artifact,
            "text": f"{post} reaches {artifact} through {len(hops)} signed edges",
        }
        return writer.document(claim, since)


def receipts_bundle(
    ledger: Ledger, target: str, receipts: list[Receipt], since: str | None = None
) -> dict[str, Any]:
    """A bundle proving that the requests about ``target`` were recorded (and erasure
    requests answered): each request item disclosed from its batch, nothing else of it."""
    if not receipts:
        raise InputError(f"no request about {target} to put in a bundle")
    with ledger.store.snapshot():
        writer = BundleWriter(ledger)
        for receipt in receipts:
            writer.disclose_position(receipt.request.entry, receipt.position)
            if receipt.answered_by is not None:
                writer.include(receipt.answered_by)
        listed = [
            {"entry": r.request.entry, "position": r.position, "answeredBy": r.answered_by}
            for r in receipts
        ]
        kinds = ", ".join(sorted({r.request.kind for r in receipts}))
        claim = {
            "kind": "receipts",
            "target": target,
            "receipts": listed,
            "text": f"{len(receipts)} request(s) about {target} recorded ({kinds})",
        }
        return writer.document(claim, since)


def check_bundle(
    ledger: Ledger,
    artifact: str,
    policy: Policy,
    document: bytes,
    *,
    as_of: datetime | None = None,
    complete: bool = False,
    max_listed: int = MAX_LISTED,
    since: str | None = None,
) -> tuple[CheckReport, dict[str, Any]]:
    """Check ``artifact`` against the registered ``policy`` (whose file holds
    ``document``) and bundle the outcome with its evidence: each listed finding's path, or
    with ``complete`` every entry and batch, so the result can be evaluated again."""
    if hashlib.sha256(document).hexdigest() != policy.sha256:
        raise InputError("the policy file changed while it was read")
    registration = registered(ledger, policy)
    if registration is None:
        raise InputError(
            f"policy {policy.id} {policy.version} is not registered in this ledger: a bundle"
            " proves a check against a registered policy (lineage policy register FILE)"
        )
    store = ledger.store
    with store.snapshot():
        listed = 0 if complete else max_listed
        report = check(
            store,
            artifact,
            policy,
            as_of=as_of,
            registered_entry=registration.entry,
            max_listed=listed,
        )
        writer = BundleWriter(ledger, whole_v1=True)
        writer.include(registration.entry)
        findings = [*report.findings, *report.notice_findings]
        if complete:
            writer.include_all()
        else:
            for finding in findings:
                _disclose_finding(writer, artifact, finding)
        posts = sum(
            1 for row in store.walk(artifact, upstream=True) if row.id.startswith(POST_PREFIX)
        )
        claim = {
            "kind": "check",
            "artifact": artifact,
            "asOf": format_us(report.as_of_us) if report.as_of_us is not None else None,
            "policy": {"id": policy.id, "version": policy.version, "sha256": policy.sha256},
            "passed": report.ok,
            "complete": complete,
            "counts": {
                "origins": report.origins,
                "posts": posts,
                "violations": report.violations,
                "notices": report.notices,
            },
            "findings": [
                {
                    "rule": f.rule,
                    "level": f.level,
                    "origin": f.origin,
                    "record": f.record,
                    "shard": f.shard,
                }
                for f in findings
            ],
            "text": (
                f"{artifact} {'passes' if report.ok else 'fails'} {policy.id} {policy.version}:"
                f" {report.violations} violations, {report.notices} notices"
                f" over {report.origins} origins"
            ),
        }
        document_json = writer.document(claim, since)
    document_json["policy"] = {"document": b64(document), "registration": registration.entry}
    return report, document_json


def _disclose_finding(writer: BundleWriter, artifact: str, finding: Finding) -> None:
    """The evidence of one finding: the origin's path to the record, and the record's
    path to the artifact (a lineage gap shows no path). The post's own attributes are
    not disclosed: with a time to the second they could name a person who objected or
    was erased (a complete bundle, which discloses everything, is for who may see it)."""
    store = writer.ledger.store
    if finding.origin is not None:
        for hop in path_of(store, finding.origin, finding.record):
            writer.disclose(hop.edge.entry, edge_item(hop.edge))
    if finding.origin is not None or finding.rule == UNKNOWN_ORIGIN:
        for hop in path_of(store, finding.record, artifact):
            writer.disclose(hop.edge.entry, edge_item(hop.edge))
