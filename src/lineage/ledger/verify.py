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
from dataclasses import dataclass, field

from lineage.crypto.batchverify import SignedMessage, first_invalid
from lineage.crypto.dsse import parse_envelope
from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle import proof as merkle_proof
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.nodes import NodeId, node_key
from lineage.crypto.merkle.verify import verify_consistency
from lineage.crypto.note import open_checkpoint
from lineage.errors import LineageError, StoreError, VerificationError
from lineage.ledger.expected import ExpectedProjection, compare
from lineage.ledger.projection import project
from lineage.ledger.trust import TrustState, is_key_statement
from lineage.model.rows import GraphBatch
from lineage.model.statement import parse_statement
from lineage.store import Store

MAX_PROBLEMS = 1000
_SIGNATURE_BATCH = 2000
_SIGNATURE_BATCH_BYTES = 8 << 20
_GRAPH_BATCH_ROWS = 20_000
"""Signatures are checked (on all cores) in batches of at most this many statements or
bytes; recomputed projection rows go to disk in batches of this many rows: memory
stays flat however large the statements are."""


@dataclass
class VerifyReport:
    size: int = 0
    entries_checked: int = 0
    nodes_checked: int = 0
    graph_rows_checked: int = 0
    checkpoints_checked: int = 0
    root: bytes = b""
    problems: list[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.truncated = True

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "size": self.size,
            "root": self.root.hex(),
            "entries_checked": self.entries_checked,
            "nodes_checked": self.nodes_checked,
            "graph_rows_checked": self.graph_rows_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": self.problems,
            "problems_truncated": self.truncated,
        }


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
            self._report.problem(f"{where}: missing from the store")
        elif stored != expected:
            what = "leaf hash" if level == 0 else "hash"
            self._report.problem(
                f"{where}: stored {what} does not match the one recomputed from the entries"
            )

    def check_no_extra(self, size: int) -> None:
        self._read_through(None)
        for level, index in sorted(self._pending):
            self._report.problem(
                f"tree node level {level} index {index}: not part of the tree of size {size}"
            )


def verify_ledger(
    store: Store,
    *,
    pinned_key: PublicKey | None = None,
    since_note: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    report = VerifyReport()
    meta = store.meta()
    origin = meta.get("origin", "")
    try:
        log_key = PublicKey.from_b64(meta.get("log_public_key", ""))
    except LineageError:
        report.problem("store metadata: log public key is malformed")
        return report
    if pinned_key is not None and pinned_key != log_key:
        report.problem("store metadata: log key differs from the key you pinned")
        return report
    try:
        with store.snapshot():
            for problem in store.integrity_problems():
                report.problem(problem)
            sizes = [size for size, _ in store.checkpoints()]
            with ExpectedProjection() as expected:
                roots = _check_entries(store, report, sizes, progress, expected)
                report.graph_rows_checked = compare(
                    expected, store.iter_rows, report.problem, store.derived_tables
                )
            _check_checkpoints(store, report, origin, log_key, roots)
            if since_note is not None:
                _check_since(store, report, origin, log_key, since_note)
    except StoreError as exc:
        report.problem(f"store unreadable: {exc}")
    return report


def _check_entries(
    store: Store,
    report: VerifyReport,
    checkpoint_sizes: list[int],
    progress: Callable[[int], None] | None,
    expected: ExpectedProjection,
) -> dict[int, bytes]:
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
    for index, stored_leaf, body in store.iter_entries():
        if index != tree.size:
            report.problem(f"entry {tree.size}: missing (next stored entry is {index})")
            break
        leaf = leaf_hash(body)
        if leaf != stored_leaf:
            report.problem(f"entry {index}: entry bytes do not match their recorded leaf hash")
        signed = _check_statement(index, body, trust, report, graph)
        if signed is not None:
            pending.append((index, signed))
            pending_bytes += len(body)
        for node, value in tree.append(leaf):
            stored_tree.check(node, value)
        report.entries_checked += 1
        if tree.size in wanted:
            roots[tree.size] = tree.root()
        if graph.size() >= _GRAPH_BATCH_ROWS:
            expected.add(graph)
            graph = GraphBatch.empty()
        if len(pending) >= _SIGNATURE_BATCH or pending_bytes >= _SIGNATURE_BATCH_BYTES:
            _check_signatures(pending, report)
            if progress:
                progress(len(pending))
            pending, pending_bytes = [], 0
    _check_signatures(pending, report)
    expected.add(graph)
    if progress:
        progress(len(pending))
    stored_tree.check_no_extra(tree.size)
    report.size = tree.size
    report.root = tree.root()
    _compare_signers(store, trust, report)
    return roots


def _check_signatures(pending: list[tuple[int, SignedMessage]], report: VerifyReport) -> None:
    while pending:
        bad = first_invalid([signed for _, signed in pending])
        if bad is None:
            return
        report.problem(f"entry {pending[bad][0]}: signature does not verify")
        pending = pending[bad + 1 :]


def _check_statement(
    index: int, body: bytes, trust: TrustState, report: VerifyReport, graph: GraphBatch
) -> SignedMessage | None:
    """Check form and authorisation and project the statement; returns the signature
    to check in a batch, if any."""
    try:
        envelope = parse_envelope(body)
        statement = parse_statement(envelope.payload)
        signer = trust.authorize(envelope.keyid, statement, index)
        project(index, signer.keyid, statement, graph)
        if is_key_statement(statement):
            envelope.verify(signer.public_key)
            trust.apply(statement, index)
            return None
    except LineageError as exc:
        report.problem(f"entry {index}: {exc}")
        return None
    return signer.public_key, envelope.signature, envelope.signing_input()


def _compare_signers(store: Store, trust: TrustState, report: VerifyReport) -> None:
    try:
        stored = {s.keyid: s for s in store.signers()}
    except LineageError as exc:
        report.problem(f"signer registry: unreadable ({exc})")
        return
    for keyid in sorted(set(stored) | set(trust.signers)):
        if stored.get(keyid) != trust.signers.get(keyid):
            report.problem(
                f"signer registry: key {keyid[:16]} differs from the log's"
                " registrations and revocations"
            )


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
            report.problem(f"{where}: {exc}")
            continue
        if checkpoint.size != size:
            report.problem(f"{where}: the note says size {checkpoint.size}")
        elif size > report.size:
            report.problem(f"{where}: the log has only {report.size} entries")
        elif roots.get(size) != checkpoint.root:
            report.problem(f"{where}: root does not match the tree recomputed from the entries")
    if report.checkpoints_checked == 0:
        report.problem("the log has no checkpoint")
    elif latest < report.size:
        report.problem(f"entries {latest} to {report.size - 1} are not covered by a checkpoint")


def _check_since(
    store: Store, report: VerifyReport, origin: str, log_key: PublicKey, note: str
) -> None:
    try:
        old = open_checkpoint(note, origin, log_key)
    except VerificationError as exc:
        report.problem(f"kept checkpoint: {exc}")
        return
    if old.size > report.size:
        report.problem(f"kept checkpoint: size {old.size} is larger than the log ({report.size})")
        return
    try:
        proof = merkle_proof.consistency_proof(old.size, report.size, store.get_nodes)
        verify_consistency(old.size, report.size, old.root, report.root, proof)
    except LineageError as exc:
        report.problem(f"kept checkpoint at size {old.size}: the log does not extend it ({exc})")
