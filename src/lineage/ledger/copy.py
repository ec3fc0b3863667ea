"""Copy a whole ledger from one store to another (SQLite to Neo4j and back).

Everything is copied as stored, nothing recomputed or re-signed: entries, tree
hashes, checkpoints (byte for byte), the signer registry, the graph projection and
the subject key tables with the same index key, so raw-id lookups keep working. A
copy of a tampered ledger is tampered the same way, and ``verify`` says so.

The target must hold nothing: the copy creates its ledger. Everything, key tables
included, is written in one transaction (:meth:`Store.create_session`): a copy that is
interrupted leaves the target as empty as it was, never "keys but no entries". The keys
of subjects whose erasure the ledger records are never copied, even if an interrupted
erasure left them in the source. Crash point: ``copy.before-commit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from lineage.errors import ConfigurationError
from lineage.faults import reached
from lineage.ledger.erasure import erased_subjects
from lineage.ledger.verify import VerifyReport, verify_ledger
from lineage.model.identity import subject_node_id
from lineage.model.rows import PROJECTION_TABLES, GraphBatch
from lineage.progress import StageProgress, no_progress
from lineage.store import open_store
from lineage.store.base import AppendSession, Store

Progress = Callable[[int], None]
T = TypeVar("T")
_CHUNK = 5000


@dataclass(frozen=True)
class CopyResult:
    """How much a copy moved: entries, tree nodes, checkpoints, graph rows and key rows."""

    entries: int
    tree_nodes: int
    checkpoints: int
    graph_rows: int
    subjects: int
    bindings: int
    latest_checkpoint: str | None

    def to_json(self) -> dict[str, object]:
        """The counts (and the latest checkpoint copied) as a JSON object."""
        return {
            "entries": self.entries,
            "tree_nodes": self.tree_nodes,
            "checkpoints": self.checkpoints,
            "graph_rows": self.graph_rows,
            "subjects": self.subjects,
            "bindings": self.bindings,
            "latest_checkpoint": self.latest_checkpoint,
        }


_BATCH_CHUNK = 64
"""Batches copied per write: each holds up to a few megabytes of items."""


def _chunks(items: Iterable[T], size: int = _CHUNK) -> Iterator[list[T]]:
    source = iter(items)
    while chunk := list(islice(source, size)):
        yield chunk


def _copy_identities(source: Store, session: AppendSession, progress: Progress) -> tuple[int, int]:
    """The subject keys, raw-id bindings and sealed raw ids, but those of erased subjects."""
    theirs = source.identities()
    erased = erased_subjects(source)
    kept: set[bytes] = set()
    subjects = bindings = 0
    for chunk in _chunks(theirs.iter_subjects()):
        keys = [(lookup, key) for lookup, key in chunk if subject_node_id(key) not in erased]
        session.save_identities(keys, [])
        kept.update(lookup for lookup, _ in keys)
        subjects += len(keys)
        progress(len(chunk))
    for chunk in _chunks(theirs.iter_bindings()):
        bound = [(lookup, subject) for lookup, subject in chunk if subject in kept]
        session.save_identities([], bound)
        bindings += len(bound)
        progress(len(chunk))
    for boxes in _chunks(theirs.iter_sealed()):
        session.save_identities([], [], [row for row in boxes if row[1] in kept])
        progress(len(boxes))
    return subjects, bindings


def _copy_graph(source: Store, session: AppendSession, progress: Progress) -> int:
    rows = 0
    for table in PROJECTION_TABLES:
        for chunk in _chunks(source.iter_rows(table)):
            batch = GraphBatch.empty()
            getattr(batch, table).extend(chunk)  # GraphBatch's fields are named as the tables
            session.add_graph(batch)
            rows += len(chunk)
            progress(len(chunk))
    return rows


def copy_ledger(source: Store, target: Store, progress: Progress | None = None) -> CopyResult:
    """Copy everything ``source`` holds into ``target``, which must hold nothing."""
    tick = progress or (lambda n: None)
    if source.open_url == target.open_url:
        raise ConfigurationError("copy needs two different stores")
    if not source.is_initialized():
        raise ConfigurationError(f"{source.url} holds no ledger")
    with source.snapshot():
        meta = source.meta()  # refuses a ledger of another schema version
        own = {k: v for k, v in meta.items() if k != "schema_version"}
        index_key = source.identities().index_key()
        entries = tree_nodes = checkpoints = 0
        with target.create_session(own, index_key) as session:
            subjects, bindings = _copy_identities(source, session, tick)
            for chunk in _chunks(source.iter_entries()):
                session.add_entries(chunk)
                entries += len(chunk)
                tick(len(chunk))
            for batches in _chunks(source.iter_batches(), _BATCH_CHUNK):
                session.add_batches(batches)
            for nodes in _chunks(source.iter_tree_nodes()):
                session.add_nodes(nodes)
                tree_nodes += len(nodes)
            for signer in source.signers():
                session.put_signer(signer)
            for size, note in source.checkpoints():
                session.add_checkpoint(size, note)
                checkpoints += 1
            graph_rows = _copy_graph(source, session, tick)
            reached("copy.before-commit")
        latest = target.latest_checkpoint()
    return CopyResult(
        entries,
        tree_nodes,
        checkpoints,
        graph_rows,
        subjects,
        bindings,
        latest[1] if latest else None,
    )


@dataclass(frozen=True)
class CopyOutcome:
    """A copy, its target's name, and the verification of the copy (if it was verified)."""

    source: str
    target: str
    result: CopyResult
    report: VerifyReport | None

    @property
    def ok(self) -> bool:
        """True unless the copy was verified and does not verify."""
        return self.report is None or self.report.ok

    def to_json(self) -> dict[str, object]:
        """The outcome as one JSON object."""
        return {
            "from": self.source,
            "to": self.target,
            **self.result.to_json(),
            "verified": None if self.report is None else self.report.ok,
            "problems": [] if self.report is None else [p.to_json() for p in self.report.problems],
        }


def copy_between(
    source_url: str, target_url: str, *, verify: bool = True, progress: StageProgress = no_progress
) -> CopyOutcome:
    """Open both stores, copy the ledger at ``source_url`` into the empty store at
    ``target_url`` (created if needed), and verify the copy unless told not to."""
    source = open_store(source_url)
    try:
        target = open_store(target_url, create=True)
        try:
            size = source.size() if source.is_initialized() else 0
            with progress("copying", None) as tick:
                result = copy_ledger(source, target, tick)
            report = None
            if verify:
                with progress("verifying the copy", size) as tick:
                    report = verify_ledger(target, progress=tick)
            return CopyOutcome(source.url, target.url, result, report)
        finally:
            target.close()
    finally:
        source.close()
