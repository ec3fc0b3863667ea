"""The ledger: signed statements appended to an RFC 9162 log with signed checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import Any

from lineage.crypto.batchverify import first_invalid
from lineage.crypto.dsse import parse_envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory, PublicKey, SigningKey
from lineage.crypto.merkle import proof as merkle_proof
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.nodes import NodeId
from lineage.crypto.merkle.verify import verify_inclusion
from lineage.crypto.note import Checkpoint, open_checkpoint, parse_checkpoint_text
from lineage.errors import (
    AuthorizationError,
    ConfigurationError,
    InputError,
    LineageError,
    NodeConflictError,
    OutOfRangeError,
    SignatureError,
    StoreError,
    VerificationError,
)
from lineage.ledger.admission import Admitted, Located, candidates, located_error
from lineage.ledger.cycles import LOOPING_KINDS, closing_edge
from lineage.ledger.evidence import BatchItem, ConsistencyProof, InclusionProof, LogEntry
from lineage.ledger.seal import SEAL_META, check_seal, registry_digest, seal
from lineage.ledger.trust import TrustState
from lineage.ledger.verify import VerifyReport
from lineage.ledger.witnesses import WITNESSES_META, Witness, sync_witnesses
from lineage.model.batch import (
    BatchEnvelope,
    artifact_subjects,
    commit_sections,
    is_v2,
    path_in,
    verified_tree,
)
from lineage.model.identity import PendingIdentities
from lineage.model.predicates import KEY_REGISTRATION, KEY_REVOCATION, LINEAGE_V2
from lineage.model.rows import GraphBatch
from lineage.model.signer import Signer, registration_fields
from lineage.model.statement import ADMIN_STEP, Statement, Step, make_statement, parse_statement
from lineage.model.times import BEGINNING, format_time, now
from lineage.store import Store, open_store
from lineage.store.base import AppendSession

Progress = Callable[[int], None]
_CHUNK = 1000
_CACHED_LEVEL = 6
_NODE_CACHE_SIZE = 200_000


@dataclass(frozen=True)
class AppendResult:
    """What an append did: entries added, identical ones skipped, the new size and note."""

    added: int
    duplicates: int
    size: int
    checkpoint: str | None
    witnesses: tuple[Witness, ...] = ()
    """Each registered witness's state after it was sent the new checkpoint."""


class Ledger:
    """A log in a store; appending needs the log key to sign checkpoints."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._node_cache: dict[NodeId, bytes] = {}
        meta = store.meta()
        try:
            self.origin = meta["origin"]
            self.log_public_key = PublicKey.from_b64(meta["log_public_key"])
        except (KeyError, InputError) as exc:
            raise ConfigurationError(f"{store.url}: not an initialised lineage ledger") from exc

    @classmethod
    def open(
        cls, url: str | None = None, *, read_only: bool = False, engine: str = "duckdb"
    ) -> Ledger:
        """Open the ledger in the store at ``url``; raise ConfigurationError if it holds
        none. ``read_only``: nothing will be appended (a read-only file can be opened);
        ``engine``: what runs a lake store's graph queries (``duckdb`` or ``spark``)."""
        store = open_store(url, read_only=read_only, engine=engine)
        if not store.is_initialized():
            store.close()
            raise ConfigurationError("the store holds no ledger (create one with: lineage init)")
        return cls(store)

    @classmethod
    def create(cls, url: str | None, log_key: SigningKey, origin: str | None = None) -> Ledger:
        """Initialise a store with ``log_key`` as log and admin key (entry 0 registers it)."""
        origin = origin or f"lineage.local/{log_key.keyid[:16]}"
        if not origin or any(c.isspace() or c == "+" for c in origin) or len(origin) > 200:
            raise InputError(f"log origin {origin!r} must be a short name without spaces or '+'")
        store = open_store(url, create=True)
        store.initialize(
            {"origin": origin, "log_public_key": log_key.public.b64(), "log_key_name": log_key.name}
        )
        ledger = cls(store)
        started = now()
        registration = make_statement(
            [{"name": f"key:{log_key.keyid}", "digest": {"sha256": log_key.keyid}}],
            KEY_REGISTRATION,
            Step(ADMIN_STEP),
            started,
            registration_fields(log_key.name, log_key.public, [ADMIN_STEP], started, None),
        )
        ledger.append([("init", sign_envelope(registration.payload(), log_key))], log_key)
        return ledger

    def load_log_key(self, keys: KeyDirectory) -> SigningKey:
        """The ledger's log key from ``keys``; a missing one says where it was looked for
        (creating a new key would not help: the log key signs every checkpoint)."""
        name = self.log_key_name
        if not keys.exists(name):
            raise ConfigurationError(
                f"the ledger's log key {name!r} is not in {keys.path.resolve()} (it is the key"
                " the ledger was created with: point --keys-dir or LINEAGE_KEYS_DIR at its"
                " directory)"
            )
        return keys.load(name)

    @property
    def log_key_name(self) -> str:
        """The name of the log/admin key recorded at creation (``admin`` if none was)."""
        return self.store.meta().get("log_key_name", "admin")

    def close(self) -> None:
        """Close the underlying store."""
        self.store.close()

    def admin_statement(
        self,
        log_key: SigningKey,
        subject: tuple[str, str],
        predicate_type: str,
        fields: dict[str, Any],
    ) -> int:
        """Append a statement of the admin step, signed by the log key, about ``subject``
        (name, SHA-256 hex), dated now; returns its entry index."""
        name, digest = subject
        statement = make_statement(
            [{"name": name, "digest": {"sha256": digest}}],
            predicate_type,
            Step(ADMIN_STEP),
            now(),
            fields,
        )
        label = predicate_type.rstrip("/").rsplit("/", 2)[-2]
        located = [(f"{label} statement", sign_envelope(statement.payload(), log_key))]
        return self.append(located, log_key).size - 1

    def admin_batch(
        self, log_key: SigningKey, predicate_type: str, sections: list[list[Any]]
    ) -> int:
        """Append a batch statement (Lineage/v2, Request/v2) of the admin step, signed by
        the log key, dated now; returns its entry index."""
        commitment, items = commit_sections(predicate_type, sections)
        nodes = sections[0] if predicate_type == LINEAGE_V2 else []
        statement = make_statement(
            artifact_subjects(nodes, commitment.root, ADMIN_STEP),
            predicate_type,
            Step(ADMIN_STEP),
            now(),
            {"batch": commitment.to_json()},
        )
        signed = sign_envelope(statement.payload(), log_key)
        label = predicate_type.rstrip("/").rsplit("/", 2)[-2]
        located = [(f"{label} statement", BatchEnvelope(**vars(signed), items=items))]
        result = self.append(located, log_key)
        if result.added:
            return result.size - 1
        found = self.store.find_leaf(leaf_hash(located[0][1].canonical()))
        assert found is not None
        return found

    def register_key(
        self,
        log_key: SigningKey,
        name: str,
        public: PublicKey,
        steps: list[str],
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> int:
        """Authorise ``public`` (named ``name``) for ``steps`` from ``valid_from`` (default:
        the beginning of time, so a pipeline may replay old events) until ``valid_until``;
        registering a registered key again replaces its steps and window. Returns the
        entry index."""
        start = valid_from or BEGINNING
        fields = registration_fields(name, public, steps, start, valid_until)
        subject = (f"key:{public.keyid}", public.keyid)
        return self.admin_statement(log_key, subject, KEY_REGISTRATION, fields)

    def revoke_key(self, log_key: SigningKey, name: str, at: datetime | None = None) -> Signer:
        """Distrust the registered key ``name`` from ``at`` (default now); returns the
        signer as revoked (``revoked_in`` is the revocation's entry)."""
        signer = TrustState(self.store.signers()).by_name(name)
        if signer is None:
            raise InputError(f"no registered key named {name!r}")
        revoked_at = at or now()
        fields = {"keyid": signer.keyid, "revokedAt": format_time(revoked_at)}
        subject = (f"key:{signer.keyid}", signer.keyid)
        entry = self.admin_statement(log_key, subject, KEY_REVOCATION, fields)
        return replace(signer, revoked_at=revoked_at, revoked_in=entry)

    def append(
        self,
        envelopes: Iterable[Located],
        log_key: SigningKey,
        progress: Progress | None = None,
        *,
        identities: PendingIdentities | None = None,
    ) -> AppendResult:
        """Append envelopes atomically with one new checkpoint; identical entries are skipped.

        Every envelope must verify and be authorised by the signer registry as the log
        key sealed it (earlier envelopes of the same append count: a registration may
        precede the statements of the key it adds). ``identities`` (new subject keys and
        raw-id bindings the statements' pseudonyms were made with) are written in the
        same transaction. Any refusal raises :class:`InputError` naming its location;
        nothing is written.
        """
        if log_key.public != self.log_public_key:
            raise ConfigurationError(f"key {log_key.name!r} is not this ledger's log key")
        with self.store.append_session() as session:
            size = session.size()
            tree = CompactRange(size, self._border(session, size))
            trust = self._sealed_registry(session, size)
            if identities is not None:
                identities.save(session)
            added = duplicates = 0
            source = iter(envelopes)
            while chunk := list(islice(source, _CHUNK)):
                n_added = self._append_chunk(session, chunk, tree, trust)
                added += n_added
                duplicates += len(chunk) - n_added
                if progress:
                    progress(len(chunk))
            note = None
            if added:
                note = Checkpoint(self.origin, tree.size, tree.root()).sign(log_key)
                session.add_checkpoint(tree.size, note)
                sealed = seal(self.origin, tree.size, trust.signers.values(), log_key)
                session.put_meta(SEAL_META, sealed)
            witnessed = bool(session.meta_value(WITNESSES_META))
        states = tuple(sync_witnesses(self.store)) if added and witnessed else ()
        return AppendResult(added, duplicates, tree.size, note, states)

    def _sealed_registry(self, session: AppendSession, size: int) -> TrustState:
        """The signer registry as the log key sealed it at this size;
        :class:`VerificationError` if the stored registry is not that one, or if a ledger
        with entries has no seal (then only a full verification can say which registry
        the log's key statements make: ``lineage verify --seal``)."""
        stored = session.signers()
        note = session.meta_value(SEAL_META)
        if note is not None:
            check_seal(note, self.origin, self.log_public_key, size, stored)
            return TrustState(stored)
        if size == 0 and not stored:
            return TrustState()
        raise VerificationError(
            "the signer registry has no seal (a ledger written before seals, or the seal"
            " was removed): run lineage verify --seal to verify the whole log and seal"
            " the registry it replays"
        )

    def seal_verified(self, log_key: SigningKey, report: VerifyReport) -> str:
        """Seal, with the log key, the signer registry that a full verification of this
        ledger (``report``, without problems) replayed from the log; returns the seal.
        Refused if the log or the stored registry changed since that verification."""
        if log_key.public != self.log_public_key:
            raise ConfigurationError(f"key {log_key.name!r} is not this ledger's log key")
        if not report.ok:
            raise VerificationError("the ledger did not verify: nothing is sealed")
        with self.store.append_session() as session:
            size = session.size()
            if size != report.size:
                raise VerificationError(
                    f"the log has {size} entries, not the {report.size} verified: verify again"
                )
            if registry_digest(session.signers()) != registry_digest(report.registry):
                raise VerificationError(
                    "the stored signer registry is not the one the log replays: verify again"
                )
            sealed = seal(self.origin, size, report.registry, log_key)
            session.put_meta(SEAL_META, sealed)
        return sealed

    @staticmethod
    def _border(session: AppendSession, size: int) -> list[bytes]:
        nodes = CompactRange.border_nodes(size)
        found = session.get_nodes(nodes)
        return [found[n] for n in nodes]

    def _append_chunk(
        self,
        session: AppendSession,
        chunk: list[Located],
        tree: CompactRange,
        trust: TrustState,
    ) -> int:
        """Admit and write one chunk; raises (and writes nothing more) on any refusal."""
        prepared = candidates(chunk)
        existing = session.existing_leaves([p.leaf for p in prepared])
        admitted = Admitted()
        refusal: InputError | None = None
        for item in prepared:
            if item.leaf in existing:
                continue
            existing.add(item.leaf)
            try:
                admitted.admit(item, tree.size + len(admitted.items), trust)
            except (InputError, AuthorizationError, SignatureError) as exc:
                refusal = located_error(item.location, exc)
                break
        bad = first_invalid(admitted.signed)
        if bad is not None:
            raise InputError("signature does not verify", location=admitted.items[bad].location)
        if refusal is not None:
            raise refusal
        loop = closing_edge(admitted.graph.edges_of_kinds(frozenset(LOOPING_KINDS)), self.store)
        if loop is not None:
            raise InputError(
                f"{loop.down} would derive from itself: a {loop.kind} edge from {loop.up}"
                " closes a loop in the lineage",
                location=admitted.items[loop.entry - tree.size].location,
            )
        self._write(session, admitted, tree)
        return len(admitted.items)

    def _write(self, session: AppendSession, admitted: Admitted, tree: CompactRange) -> None:
        first_index = tree.size
        entries: list[tuple[int, bytes, bytes]] = []
        batches: list[tuple[int, bytes]] = []
        nodes: list[tuple[NodeId, bytes]] = []
        for item in admitted.items:
            entries.append((tree.size, item.leaf, item.entry))
            if item.items is not None:
                batches.append((tree.size, item.items))
            nodes.extend(tree.append(item.leaf))
        for signer in admitted.changed:
            session.put_signer(signer)
        session.add_entries(entries)
        if batches:
            session.add_batches(batches)
        session.add_nodes(nodes)
        try:
            session.add_graph(admitted.graph)
        except NodeConflictError:
            locations = [item.location for item in admitted.items]
            self._check_nodes(session, admitted.graph, locations, first_index)
            raise

    @staticmethod
    def _check_nodes(
        session: AppendSession, graph: GraphBatch, locations: list[str], first_index: int
    ) -> None:
        """Name the node (and its input location) that the store refused as a conflict."""
        graph = graph.expand()
        seen: dict[str, tuple[str, str, int]] = {}
        for row in graph.nodes:
            seen.setdefault(row.id, (row.kind, row.attrs, row.entry))
        stored = session.existing_nodes(list(seen))
        for row in graph.nodes:
            first = stored.get(row.id)
            if first is None or first[2] >= first_index:
                first = seen[row.id]
            if (first[0], first[1]) != (row.kind, row.attrs):
                raise NodeConflictError(
                    f"node {row.id} was recorded by entry {first[2]} with other attributes",
                    location=locations[row.entry - first_index],
                )

    # -- reading -----------------------------------------------------------------

    def size(self) -> int:
        """The number of entries in the log."""
        return self.store.size()

    def latest_checkpoint(self) -> str | None:
        """The newest signed checkpoint note, or None if the log has none."""
        latest = self.store.latest_checkpoint()
        return latest[1] if latest else None

    def root(self, size: int) -> bytes:
        """The root hash of the tree of the first ``size`` entries, from the stored hashes."""
        return merkle_proof.root_at(size, self.store.get_nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """The proof of entry ``index`` against the checkpoint of ``size`` entries (default:
        the latest checkpoint); :class:`OutOfRangeError` if there is none of that size.

        Two reads: the checkpoint, then every hash the proof needs (and the leaf itself)
        in one lookup. Stored hashes never change once written, so the two reads need
        no shared transaction.
        """
        size, note = self._checkpoint(size)
        if not 0 <= index < size:
            raise OutOfRangeError(f"entry {index} does not exist: the log has {size} entries")
        leaf_node = (0, index)
        found: dict[NodeId, bytes] = {}

        def source(nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
            found.update(self._cached_nodes([leaf_node, *nodes]))
            return found

        hashes = merkle_proof.inclusion_proof(index, size, source)
        if leaf_node not in found:
            raise StoreError(f"tree node level 0 index {index} is missing from the store")
        return InclusionProof(index, size, found[leaf_node], hashes, note)

    def consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """The proof that the checkpoint of ``old_size`` entries is a prefix of the one of
        ``new_size`` (default: the latest); both sizes must have a checkpoint."""
        new_size, new_note = self._checkpoint(new_size)
        if old_size > new_size:
            raise OutOfRangeError(
                f"size {old_size} is after size {new_size}: give the older checkpoint first"
            )
        old_size, old_note = self._checkpoint(old_size)
        hashes = merkle_proof.consistency_proof(old_size, new_size, self._cached_nodes)
        return ConsistencyProof(old_size, new_size, hashes, old_note, new_note)

    def entry(self, index: int) -> LogEntry:
        """Entry ``index`` exactly as stored (:class:`OutOfRangeError` if there is none)."""
        size = self.size()
        if not 0 <= index < size:
            raise OutOfRangeError(f"entry {index} does not exist: the log has {size} entries")
        stored = self.store.entry(index)
        if stored is None:
            raise StoreError(f"entry {index} is missing from the store; run lineage verify")
        return LogEntry(index, *stored)

    def entry_items(self, index: int) -> list[BatchItem]:
        """The batch items of batch statement ``index`` (Lineage/v2, Request/v2), each with
        its path to the root the entry signs (:class:`InputError` for another entry)."""
        statement = parse_statement(parse_envelope(self.entry(index).body).payload)
        if not is_v2(statement):
            raise InputError(
                f"entry {index} is a {statement.predicate_type} statement: it has no batch items"
            )
        lines, levels = self.batch_tree(index, statement)
        return [BatchItem(index, n, line, path_in(levels, n)) for n, line in enumerate(lines)]

    def batch_tree(self, index: int, statement: Statement) -> tuple[list[bytes], list[list[bytes]]]:
        """The stored items of batch statement ``index`` (``statement``) and the levels of
        their tree, checked against the root it signs; :class:`VerificationError` if they
        are not the ones it signs."""
        try:
            return verified_tree(statement, self.store.batch(index))
        except InputError as exc:
            raise VerificationError(
                f"the items stored for entry {index} are not the ones it signs ({exc}):"
                " run lineage verify"
            ) from exc

    def _checkpoint(self, size: int | None) -> tuple[int, str]:
        """The checkpoint of ``size`` entries (default: the latest), as (size, note)."""
        if size is None:
            latest = self.store.latest_checkpoint()
            if latest is None:
                raise OutOfRangeError("the log has no checkpoint yet")
            return latest
        note = self.store.checkpoint_at(size)
        if note is None:
            raise OutOfRangeError(
                f"no checkpoint of size {size} (lineage checkpoint --list shows the sizes)"
            )
        return size, note

    def proven_entry(self, index: int) -> bytes:
        """The bytes of entry ``index``, proven to be what the log key signed: hashed to
        their leaf and that leaf proven included in the latest checkpoint, whose
        signature is checked; :class:`VerificationError` if any of it fails (the store
        was changed outside lineage)."""
        stored = self.store.entry(index)
        if stored is None:
            raise VerificationError(f"entry {index} is missing from the store; run lineage verify")
        _, body = stored
        proof = self.inclusion_proof(index)
        try:
            checkpoint = open_checkpoint(proof.checkpoint, self.origin, self.log_public_key)
            verify_inclusion(index, proof.size, leaf_hash(body), proof.hashes, checkpoint.root)
        except LineageError as exc:
            raise VerificationError(
                f"entry {index} is not what the log signed ({exc}): the store was changed"
                " outside lineage; run lineage verify"
            ) from exc
        if checkpoint.size != proof.size:
            raise VerificationError(f"the latest checkpoint of entry {index} names another size")
        return body

    def _cached_nodes(self, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Stored node hashes, keeping the upper levels in memory: a complete subtree's
        hash never changes in an append-only log, and every proof passes through them."""
        cache = self._node_cache
        found = {node: cache[node] for node in nodes if node in cache}
        missing = [node for node in nodes if node not in found]
        if missing:
            fetched = self.store.get_nodes(missing)
            found.update(fetched)
            if len(cache) < _NODE_CACHE_SIZE:
                cache.update((n, h) for n, h in fetched.items() if n[0] >= _CACHED_LEVEL)
        return found

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """The RFC 9162 proof that the tree of ``size1`` entries is a prefix of ``size2``."""
        return merkle_proof.consistency_proof(size1, size2, self.store.get_nodes)

    def entries(self, start: int = 0) -> Iterator[tuple[int, bytes, bytes]]:
        """(index, leaf hash, entry bytes) of every entry from ``start``, in index order."""
        return self.store.iter_entries(start)


def checkpoint_of(note: str) -> Checkpoint:
    """The checkpoint a note carries, without verifying its signature."""
    text = note.rpartition("\n\n")[0] + "\n"
    return parse_checkpoint_text(text)
