"""Writing bundles: the entries, proofs, disclosed items and key statements that prove a
claim, read from a ledger in one consistent view (``docs/bundle.md``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.crypto.dsse import parse_envelope
from lineage.crypto.encoding import b64
from lineage.crypto.note import verifier_key
from lineage.errors import InputError, OutOfRangeError
from lineage.evidence.format import BUNDLE_MEDIA_TYPE, BUNDLE_VERSION
from lineage.ledger.evidence import BatchItem
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.model.batch import encode_items, is_v2
from lineage.model.graph import EDGE_RULES
from lineage.model.predicates import KEY_REGISTRATION, KEY_REVOCATION
from lineage.model.rows import EdgeRow, StatementRow
from lineage.model.statement import Statement, parse_statement
from lineage.query.trace import path as path_of
from lineage.store.base import table_rows

_KEY_STATEMENTS = (KEY_REGISTRATION, KEY_REVOCATION)


def edge_item(edge: EdgeRow) -> list[str]:
    """An edge row as the item its statement asserted (``[kind, src, dst]``)."""
    if EDGE_RULES[edge.kind][2]:
        return [edge.kind, edge.up, edge.down]
    return [edge.kind, edge.down, edge.up]


@dataclass
class _Entry:
    statement: Statement
    keyid: str
    body: bytes
    items: dict[bytes, BatchItem] = field(default_factory=dict)


class BundleWriter:
    """Collects what a bundle discloses, then writes it against one checkpoint."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
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

    def disclose(self, index: int, item: list[Any]) -> None:
        """Disclose one item of the Lineage/v2 batch of entry ``index`` with its path."""
        entry = self._entry(index)
        if not is_v2(entry.statement):
            raise InputError(
                f"entry {index} is a {entry.statement.predicate_type} statement: its items"
                " cannot be disclosed one by one (bundles prove what Lineage/v2 statements"
                " record)"
            )
        if not entry.items:
            entry.items = {found.text: found for found in self.ledger.entry_items(index)}
        encoded = encode_items([item], [])
        disclosed = entry.items.get(encoded)
        if disclosed is None:
            raise InputError(
                f"entry {index} does not hold {encoded[:120].decode()}: run lineage verify"
            )
        if (index, disclosed.position) not in self._disclosed:
            self._disclosed.add((index, disclosed.position))
            self._items.append(disclosed.to_json())

    def _key_entries(self) -> set[int]:
        """Entry 0 and every key statement of each key that signed a disclosed entry, and
        of each admin key that signed those, within the checkpoint."""
        by_key: dict[str, list[int]] = {}
        for row in table_rows(self.ledger.store, StatementRow):
            if row.predicate_type in _KEY_STATEMENTS and row.entry < self.size:
                keyid = self._entry(row.entry).statement.predicate.get("keyid")
                if isinstance(keyid, str):
                    by_key.setdefault(keyid, []).append(row.entry)
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
