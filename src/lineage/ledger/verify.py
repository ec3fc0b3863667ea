"""Re-derive everything in a ledger and report each discrepancy with its location.

Checks, in one streaming pass over the entries: every leaf hash and every
stored complete-subtree hash against values recomputed from the entry bytes;
every DSSE signature and key authorisation, with the signer registry replayed
from the log itself; every checkpoint's signature and root; that the latest
checkpoint covers the whole log; that the stored signer registry equals the
replayed one; and, if the auditor kept one, consistency with an old checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

from lineage.crypto.batchverify import SignedMessage, first_invalid
from lineage.crypto.cosignature import Cosignature, WitnessPolicy
from lineage.crypto.dsse import parse_envelope
from lineage.crypto.encoding import b64
from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle import proof as merkle_proof
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.nodes import NodeId, node_key
from lineage.crypto.merkle.verify import verify_consistency
from lineage.crypto.note import open_checkpoint
from lineage.errors import (
    AuthorizationError,
    BatchError,
    LineageError,
    SignatureError,
    StoreError,
    StoreUnavailableError,
    VerificationError,
)
from lineage.ledger.expected import (
    LABELS,
    ExpectedProjection,
    compare,
    report_differences,
)
from lineage.ledger.projection import project
from lineage.ledger.seal import SEAL_META, check_seal, sealed_size
from lineage.ledger.trust import TrustState, is_key_statement
from lineage.model.batch import commitment_of, is_v2
from lineage.model.graph import SUBJECT
from lineage.model.identity import subject_node_id
from lineage.model.item_columns import ItemColumns, split_items
from lineage.model.predicates import LINEAGE_V2
from lineage.model.rows import GraphBatch, ProjectionRow
from lineage.model.signer import Signer
from lineage.model.statement import Statement, parse_statement
from lineage.store import Store
from lineage.store.base import DerivedRebuild, DerivedTable

MAX_PROBLEMS = 1000
_SIGNATURE_BATCH = 2000
_SIGNATURE_BATCH_BYTES = 8 << 20
_GRAPH_BATCH_ROWS = 20_000
"""Signatures are checked (on all cores) in batches of at most this many statements or
bytes; recomputed projection rows go to disk in batches of this many rows: memory
stays flat however large the statements are."""


class ProblemKind(StrEnum):
    """What kind of discrepancy a verification problem is."""

    METADATA = "metadata"
    """The store's metadata: a malformed log key, or not the key pinned."""
    STORE_INTEGRITY = "store-integrity"
    """The backend's own check of its files (SQLite pages, Neo4j constraints)."""
    STORE_UNREADABLE = "store-unreadable"
    ENTRY_MISSING = "entry-missing"
    LEAF_HASH = "leaf-hash"
    """Entry bytes that do not hash to their recorded leaf hash."""
    MALFORMED = "malformed"
    """An entry that is not a well-formed statement of its kind."""
    UNAUTHORISED = "unauthorised"
    """An entry whose signer may not sign it (unknown, other step, outside its window)."""
    SIGNATURE = "signature"
    TREE_NODE_MISSING = "tree-node-missing"
    TREE_NODE_MISMATCH = "tree-node-mismatch"
    TREE_NODE_EXTRA = "tree-node-extra"
    SIGNER_REGISTRY = "signer-registry"
    """The stored signer registry differs from the one replayed from the log."""
    CHECKPOINT = "checkpoint"
    """A checkpoint that is malformed, badly signed, or does not match the log."""
    NO_CHECKPOINT = "no-checkpoint"
    UNCOVERED = "uncovered-entries"
    """Entries after the latest checkpoint."""
    PROJECTION_MISSING = "projection-missing"
    PROJECTION_EXTRA = "projection-extra"
    PROJECTION_DIFFERS = "projection-differs"
    KEPT_CHECKPOINT = "kept-checkpoint"
    """The checkpoint the auditor kept is malformed or not signed by the log key."""
    NOT_EXTENDED = "not-extended"
    """The log does not extend the checkpoint the auditor kept."""
    WITNESS = "witness"
    """The latest checkpoint lacks the cosignatures the witness policy asks for."""
    BATCH = "batch"
    """Batch items that do not match what their Lineage/v2 statement commits to."""
    KEY_TABLES = "key-tables"
    """A subject key or raw-id binding that does not match the pseudonyms the ledger holds."""


@dataclass(frozen=True)
class Problem:
    """One discrepancy: its kind, the entry it concerns (if one), and what was found."""

    kind: ProblemKind
    entry: int | None
    detail: str

    def __str__(self) -> str:
        return self.detail

    def to_json(self) -> dict[str, object]:
        """The problem as a JSON object."""
        return {"kind": self.kind.value, "entry": self.entry, "detail": self.detail}


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_ledger`: what was checked and every problem found."""

    size: int = 0
    entries_checked: int = 0
    nodes_checked: int = 0
    graph_rows_checked: int = 0
    checkpoints_checked: int = 0
    root: bytes = b""
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False
    registry: tuple[Signer, ...] = ()
    sealed: bool = False
    cosignatures: list[Cosignature] | None = None
    """The cosignatures counted, when a witness policy was given."""

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    def problem(self, kind: ProblemKind, detail: str, entry: int | None = None) -> None:
        """Record a problem (the first :data:`MAX_PROBLEMS` are kept)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, entry, detail))
        else:
            self.truncated = True

    def kinds(self) -> set[ProblemKind]:
        """The kinds of the problems found."""
        return {p.kind for p in self.problems}

    def to_json(self) -> dict[str, object]:
        """The report as a JSON object (problems as objects of kind, entry, detail)."""
        return {
            "ok": self.ok,
            "size": self.size,
            "root": b64(self.root),
            "entries_checked": self.entries_checked,
            "nodes_checked": self.nodes_checked,
            "graph_rows_checked": self.graph_rows_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": [p.to_json() for p in self.problems],
            "problems_truncated": self.truncated,
            "registry_sealed": self.sealed,
            "cosignatures": None
            if self.cosignatures is None
            else [c.to_json() for c in self.cosignatures],
        }


K = ProblemKind


def _kind_of(exc: LineageError) -> ProblemKind:
    if isinstance(exc, BatchError):
        return K.BATCH
    if isinstance(exc, AuthorizationError):
        return K.UNAUTHORISED
    if isinstance(exc, SignatureError):
        return K.SIGNATURE
    return K.MALFORMED


class _StoredBatches:
    """The stored batch items, read in entry order alongside the entries."""

    def __init__(self, store: Store, report: VerifyReport) -> None:
        self._rows = store.iter_batches()
        self._report = report
        self._next = next(self._rows, None)

    def take(self, index: int) -> bytes | None:
        """The items stored for entry ``index``; reports (and skips) those of no entry."""
        while self._next is not None and self._next[0] < index:
            self._extra(self._next[0])
            self._next = next(self._rows, None)
        if self._next is None or self._next[0] != index:
            return None
        items = self._next[1]
        self._next = next(self._rows, None)
        return items

    def check_no_extra(self) -> None:
        """Report batch items stored for entries past the end of the log."""
        while self._next is not None:
            self._extra(self._next[0])
            self._next = next(self._rows, None)

    def _extra(self, entry: int) -> None:
        self._report.problem(K.BATCH, f"batch items stored for entry {entry}, which has none")


class _StoredTree:
    """The stored tree hashes, read in key order alongside the recomputed ones.

    Recomputed nodes arrive leaf by leaf (each leaf, then the subtrees it completes).
    Stored rows are read up to the key of the node being checked; the ones read but
    not yet checked wait in ``pending``: the unfinished ancestors of the current leaf
    (at most one a level) and anything that does not belong to the tree.
    """

    def __init__(self, store: Store, report: VerifyReport) -> None:
        self._rows = store.iter_tree_nodes()
        self._report = report
        self._next = next(self._rows, None)
        self._pending: dict[NodeId, bytes] = {}

    def _read_through(self, key: int | None) -> None:
        while self._next is not None and (key is None or node_key(self._next[0]) <= key):
            self._pending[self._next[0]] = self._next[1]
            self._next = next(self._rows, None)

    def check(self, node: NodeId, expected: bytes) -> None:
        self._read_through(node_key(node))
        stored = self._pending.pop(node, None)
        self._report.nodes_checked += 1
        level, index = node
        where = f"tree node level {level} index {index}"
        if stored is None:
            self._report.problem(K.TREE_NODE_MISSING, f"{where}: missing from the store")
        elif stored != expected:
            what = "leaf hash" if level == 0 else "hash"
            self._report.problem(
                K.TREE_NODE_MISMATCH,
                f"{where}: stored {what} does not match the one recomputed from the entries",
            )

    def check_no_extra(self, size: int) -> None:
        self._read_through(None)
        for level, index in sorted(self._pending):
            self._report.problem(
                K.TREE_NODE_EXTRA,
                f"tree node level {level} index {index}: not part of the tree of size {size}",
            )


def verify_ledger(
    store: Store,
    *,
    pinned_key: PublicKey | None = None,
    since_note: str | None = None,
    witness_policy: WitnessPolicy | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Re-derive everything in ``store``'s ledger and report every discrepancy.

    ``pinned_key``: the log key the auditor expects; ``since_note``: a checkpoint the
    auditor kept, which the log must extend; ``witness_policy``: the cosignatures the
    latest checkpoint must carry; ``progress`` is called with the number of
    entries checked, as they are.
    """
    report = VerifyReport()
    meta = store.meta()
    origin = meta.get("origin", "")
    try:
        log_key = PublicKey.from_b64(meta.get("log_public_key", ""))
    except LineageError:
        report.problem(K.METADATA, "store metadata: log public key is malformed")
        return report
    if pinned_key is not None and pinned_key != log_key:
        report.problem(K.METADATA, "store metadata: log key differs from the key you pinned")
        return report
    try:
        with store.snapshot():
            for problem in store.integrity_problems():
                report.problem(K.STORE_INTEGRITY, problem)
            sizes = [size for size, _ in store.checkpoints()]
            with ExpectedProjection() as expected, ExitStack() as scratch:
                derived = [(t, scratch.enter_context(t.rebuild())) for t in store.derived_tables()]

                def add_rows(batch: GraphBatch) -> None:
                    expected.add(batch)
                    rows = batch.expand() if derived else batch
                    for _, rebuild in derived:
                        rebuild.add(rows)

                roots, trust = _check_entries(store, report, sizes, progress, add_rows)
                report.registry = tuple(trust.signers.values())
                report.graph_rows_checked = _compare_projection(store, report, expected, derived)
            _check_checkpoints(store, report, origin, log_key, roots)
            _check_seal(store, report, origin, log_key, trust)
            _check_key_tables(store, report)
            if since_note is not None:
                _check_since(store, report, origin, log_key, since_note)
            if witness_policy is not None:
                _check_witnessed(store, report, witness_policy)
    except StoreUnavailableError:
        raise  # nothing can be concluded about the ledger: not a verification result
    except StoreError as exc:
        report.problem(K.STORE_UNREADABLE, f"store unreadable: {exc}")
    return report


def _check_witnessed(store: Store, report: VerifyReport, policy: WitnessPolicy) -> None:
    latest = store.latest_checkpoint()
    if latest is None:
        return
    size, note = latest
    try:
        report.cosignatures = policy.check(note)
    except LineageError as exc:
        report.problem(K.WITNESS, f"checkpoint of size {size}: {exc}")


def _check_entries(
    store: Store,
    report: VerifyReport,
    checkpoint_sizes: list[int],
    progress: Callable[[int], None] | None,
    add_rows: Callable[[GraphBatch], None],
) -> tuple[dict[int, bytes], TrustState]:
    tree = CompactRange()
    stored_tree = _StoredTree(store, report)
    trust = TrustState()
    wanted = set(checkpoint_sizes)
    roots: dict[int, bytes] = {}
    if 0 in wanted:
        roots[0] = tree.root()
    pending: list[tuple[int, SignedMessage]] = []
    pending_bytes = 0
    graph = GraphBatch.empty()
    batches = _StoredBatches(store, report)
    for index, stored_leaf, body in store.iter_entries():
        if index != tree.size:
            report.problem(
                K.ENTRY_MISSING,
                f"entry {tree.size}: missing (next stored entry is {index})",
                tree.size,
            )
            break
        leaf = leaf_hash(body)
        if leaf != stored_leaf:
            report.problem(
                K.LEAF_HASH,
                f"entry {index}: entry bytes do not match their recorded leaf hash",
                index,
            )
        signed = _check_statement(index, body, batches.take(index), trust, report, graph)
        if signed is not None:
            pending.append((index, signed))
            pending_bytes += len(body)
        for node, value in tree.append(leaf):
            stored_tree.check(node, value)
        report.entries_checked += 1
        if tree.size in wanted:
            roots[tree.size] = tree.root()
        if graph.size() >= _GRAPH_BATCH_ROWS:
            add_rows(graph)
            graph = GraphBatch.empty()
        if len(pending) >= _SIGNATURE_BATCH or pending_bytes >= _SIGNATURE_BATCH_BYTES:
            _check_signatures(pending, report)
            if progress:
                progress(len(pending))
            pending, pending_bytes = [], 0
    _check_signatures(pending, report)
    add_rows(graph)
    if progress:
        progress(len(pending))
    stored_tree.check_no_extra(tree.size)
    batches.check_no_extra()
    report.size = tree.size
    report.root = tree.root()
    _compare_signers(store, trust, report)
    return roots, trust


def _compare_projection(
    store: Store,
    report: VerifyReport,
    expected: ExpectedProjection,
    derived: list[tuple[DerivedTable, DerivedRebuild]],
) -> int:
    """Compare every projection table, and every table the store derives from it, with
    the rows recomputed from the entries; the number of rows compared."""

    def difference(kind: str, row: ProjectionRow, detail: str) -> None:
        entry = row.entry if isinstance(row.entry, int) and row.entry >= 0 else None
        report.problem(ProblemKind(kind), detail, entry)

    compared = 0
    for table, label in LABELS.items():
        differences = store.compare_rows(table, partial(expected.to_parquet, table))
        if differences is not None:
            extra = report_differences(label, differences, difference)
            compared += extra + expected.written.get(table, 0)
            continue
        compared += compare(label, expected.rows(table), store.iter_rows(table), difference)
    for table_spec, rebuild in derived:
        stored = store.iter_rows(table_spec.name)
        compared += compare(table_spec.label, rebuild.rows(), stored, difference)
    return compared


def _check_signatures(pending: list[tuple[int, SignedMessage]], report: VerifyReport) -> None:
    while pending:
        bad = first_invalid([signed for _, signed in pending])
        if bad is None:
            return
        entry = pending[bad][0]
        report.problem(K.SIGNATURE, f"entry {entry}: signature does not verify", entry)
        pending = pending[bad + 1 :]


def _check_statement(
    index: int,
    body: bytes,
    items: bytes | None,
    trust: TrustState,
    report: VerifyReport,
    graph: GraphBatch,
) -> SignedMessage | None:
    """Check form and authorisation and project the statement; returns the signature
    to check in a batch, if any."""
    try:
        envelope = parse_envelope(body)
        statement = parse_statement(envelope.payload)
        if items is not None and not is_v2(statement):
            report.problem(
                K.BATCH,
                f"entry {index}: batch items beside a statement that commits to none",
                index,
            )
            items = None
        signer = trust.authorize(envelope.keyid, statement, index)
        project(index, signer.keyid, statement, graph, items, _columns(statement, items))
        if is_key_statement(statement):
            envelope.verify(signer.public_key)
            trust.apply(statement, index)
            return None
    except LineageError as exc:
        report.problem(_kind_of(exc), f"entry {index}: {exc}", index)
        return None
    return signer.public_key, envelope.signature, envelope.signing_input()


def _columns(statement: Statement, items: bytes | None) -> ItemColumns | None:
    """A Lineage/v2 batch's items as columns, for the projection to check and read in
    bulk (it reads them item by item when they are not exactly the signed items)."""
    if items is None or statement.predicate_type != LINEAGE_V2:
        return None
    try:
        commitment = commitment_of(statement)
    except LineageError:
        return None
    return split_items(items, *commitment.counts)


def _compare_signers(store: Store, trust: TrustState, report: VerifyReport) -> None:
    try:
        stored = {s.keyid: s for s in store.signers()}
    except LineageError as exc:
        report.problem(K.SIGNER_REGISTRY, f"signer registry: unreadable ({exc})")
        return
    for keyid in sorted(set(stored) | set(trust.signers)):
        if stored.get(keyid) != trust.signers.get(keyid):
            report.problem(
                K.SIGNER_REGISTRY,
                f"signer registry: key {keyid[:16]} differs from the log's"
                " registrations and revocations",
            )


def _check_seal(
    store: Store, report: VerifyReport, origin: str, log_key: PublicKey, trust: TrustState
) -> None:
    """The log key's seal of the signer registry, if the store has one, must seal the
    registry replayed from the log at the log's size (a seal of a later size belongs to
    an append that ended after this verification began)."""
    note = store.meta().get(SEAL_META)
    if note is None:
        return
    size = sealed_size(note)
    if size is not None and size > report.size:
        report.sealed = True
        return
    try:
        check_seal(note, origin, log_key, report.size, trust.signers.values())
        report.sealed = True
    except VerificationError as exc:
        report.problem(K.SIGNER_REGISTRY, f"signer registry seal: {exc}")


_KEY_BATCH = 2000


def _check_key_tables(store: Store, report: VerifyReport) -> None:
    """Each subject key must derive the node id stored beside it, and that node must be a
    subject the ledger declares; each raw-id binding must point at a subject. (Which raw
    id a lookup row stands for cannot be checked without the raw id: resolutions check
    that, against the subject's binding in the ledger.)"""
    identities = store.identities()
    batch: list[tuple[bytes, str]] = []

    def declared(rows: list[tuple[bytes, str]]) -> None:
        found = store.nodes([node for _, node in rows])
        for lookup, node in rows:
            row = found.get(node)
            if row is None or row.kind != SUBJECT:
                report.problem(
                    K.KEY_TABLES,
                    f"subject key {lookup.hex()[:16]}: its subject {node} is not in the ledger",
                )

    for lookup, key, node in identities.iter_subject_nodes():
        derived = subject_node_id(key)
        if derived != node:
            report.problem(
                K.KEY_TABLES,
                f"subject key {lookup.hex()[:16]}: the key derives {derived}, the row says {node}",
            )
        batch.append((lookup, derived))
        if len(batch) >= _KEY_BATCH:
            declared(batch)
            batch = []
    declared(batch)
    dangling = identities.dangling_bindings()
    if dangling:
        report.problem(K.KEY_TABLES, f"{dangling} raw-id bindings point at no subject key")


def _check_checkpoints(
    store: Store, report: VerifyReport, origin: str, log_key: PublicKey, roots: dict[int, bytes]
) -> None:
    latest = 0
    for size, note in store.checkpoints():
        where = f"checkpoint at size {size}"
        report.checkpoints_checked += 1
        latest = max(latest, size)
        try:
            checkpoint = open_checkpoint(note, origin, log_key)
        except VerificationError as exc:
            report.problem(K.CHECKPOINT, f"{where}: {exc}")
            continue
        if checkpoint.size != size:
            report.problem(K.CHECKPOINT, f"{where}: the note says size {checkpoint.size}")
        elif size > report.size:
            report.problem(K.CHECKPOINT, f"{where}: the log has only {report.size} entries")
        elif roots.get(size) != checkpoint.root:
            report.problem(
                K.CHECKPOINT, f"{where}: root does not match the tree recomputed from the entries"
            )
    if report.checkpoints_checked == 0:
        report.problem(K.NO_CHECKPOINT, "the log has no checkpoint")
    elif latest < report.size:
        report.problem(
            K.UNCOVERED,
            f"entries {latest} to {report.size - 1} are not covered by a checkpoint",
            latest,
        )


def _check_since(
    store: Store, report: VerifyReport, origin: str, log_key: PublicKey, note: str
) -> None:
    try:
        old = open_checkpoint(note, origin, log_key)
    except VerificationError as exc:
        report.problem(K.KEPT_CHECKPOINT, f"kept checkpoint: {exc}")
        return
    if old.size > report.size:
        report.problem(
            K.NOT_EXTENDED,
            f"kept checkpoint: size {old.size} is larger than the log ({report.size})",
        )
        return
    try:
        proof = merkle_proof.consistency_proof(old.size, report.size, store.get_nodes)
        verify_consistency(old.size, report.size, old.root, report.root, proof)
    except LineageError as exc:
        report.problem(
            K.NOT_EXTENDED,
            f"kept checkpoint at size {old.size}: the log does not extend it ({exc})",
        )
