"""Evaluating a complete check bundle's policy again, over the bundle alone.

A complete bundle carries every entry up to its checkpoint and every batch in full. Its
statements are projected, exactly as an append projects them, into a scratch SQLite
store in a temporary directory, and the same ``check`` runs there: on any store it is
composed from the same primitives, so its counts and findings equal the claimed ones
exactly when the bundle discloses everything the policy's rules read.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from lineage.errors import LineageError
from lineage.evidence.outcome import Disclosed, ProvenEntry, claim_failure
from lineage.ledger.projection import project
from lineage.model.batch import is_v2
from lineage.model.graph import DERIVED_FROM
from lineage.model.rows import GraphBatch
from lineage.model.times import parse_time
from lineage.policy.check import check
from lineage.policy.document import parse_policy
from lineage.store import open_store

_ROWS_PER_WRITE = 50_000
MAX_DERIVATION_DEPTH = 1000
"""The longest derivation a complete bundle may hold to be evaluated again (pipelines
derive a record through a handful of steps; the ancestry index grows with the square)."""


def require_coverage(entries: dict[int, ProvenEntry], batches: dict[int, bytes], size: int) -> None:
    """Raise :class:`NotProvenError` unless a complete bundle carries every entry below
    ``size`` and the full batch of each of its batch statements."""
    missing = next((index for index in range(size) if index not in entries), None)
    if missing is not None:
        raise claim_failure(
            f"a complete check bundle carries every entry: entry {missing} is missing"
        )
    unbatched = [i for i, e in entries.items() if is_v2(e.statement) and i not in batches]
    if unbatched:
        raise claim_failure(f"a complete check bundle carries the batch of entry {min(unbatched)}")


def recompute_check(
    claim: dict[str, Any],
    entries: dict[int, ProvenEntry],
    disclosed: list[Disclosed],
    document: bytes | None,
    batches: dict[int, bytes],
    size: int,
) -> None:
    """Raise :class:`NotProvenError` unless the policy, evaluated again over the bundle's
    entries and batches, gives the claim's counts and findings."""
    if document is None:
        raise claim_failure("a complete check bundle carries its policy document")
    require_coverage(entries, batches, size)
    depth = deepest_derivation(disclosed)
    if depth > MAX_DERIVATION_DEPTH:
        raise claim_failure(
            f"a record derives through {depth} records (more than {MAX_DERIVATION_DEPTH}):"
            " too deep to evaluate again"
        )
    try:
        policy = parse_policy(document, "the bundle's policy")
        as_of = claim.get("asOf")
        moment = parse_time(as_of, "asOf") if as_of is not None else None
        with tempfile.TemporaryDirectory(prefix="lineage-replay-") as scratch:
            store = open_store(f"sqlite:///{Path(scratch) / 'replay.db'}", create=True)
            try:
                _replay(store, entries, batches)
                report = check(
                    store, str(claim.get("artifact")), policy, as_of=moment, max_listed=0
                )
            finally:
                store.close()
    except LineageError as exc:
        raise claim_failure(f"the policy cannot be evaluated again over the bundle: {exc}") from exc
    counts = claim.get("counts", {})
    found = {"origins": report.origins, "violations": report.violations, "notices": report.notices}
    for name, value in found.items():
        if counts.get(name) != value:
            raise claim_failure(
                f"evaluated again, the policy gives {value} {name}, not {counts.get(name)}"
            )
    listed = sorted(_key(f.to_json()) for f in [*report.findings, *report.notice_findings])
    claimed = sorted(_key(f) for f in claim.get("findings", []))
    if listed != claimed:
        raise claim_failure("evaluated again, the policy gives other findings than the claim lists")


def deepest_derivation(disclosed: list[Disclosed]) -> int:
    """The longest chain of ``DERIVED_FROM`` edges among the disclosed ones (the work of
    indexing a record's ancestry grows with its square)."""
    parents: dict[str, list[str]] = {}
    for item in disclosed:
        if item.section == "edges" and item.value[0] == DERIVED_FROM:
            parents.setdefault(item.value[1], []).append(item.value[2])
    depth: dict[str, int] = {}
    for start in parents:
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if node in depth:
                continue
            if expanded:
                depth[node] = 1 + max((depth.get(p, 0) for p in parents.get(node, [])), default=0)
                continue
            stack.append((node, True))
            stack.extend((p, False) for p in parents.get(node, []) if p not in depth)
    return max(depth.values(), default=0)


def _key(finding: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(finding.get(k)) for k in ("rule", "level", "origin", "record", "shard"))


def _replay(store: Any, entries: dict[int, ProvenEntry], batches: dict[int, bytes]) -> None:
    with store.create_session({"origin": "bundle-replay", "log_public_key": ""}) as session:
        graph = GraphBatch.empty()
        for index, entry in entries.items():
            items = batches.get(index)
            if is_v2(entry.statement) and items is None:
                raise claim_failure(f"a complete check bundle carries the batch of entry {index}")
            project(index, entry.keyid, entry.statement, graph, items)
            if graph.size() >= _ROWS_PER_WRITE:
                session.add_graph(graph)
                graph = GraphBatch.empty()
        session.add_graph(graph)
