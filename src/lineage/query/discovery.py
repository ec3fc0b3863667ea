"""What a ledger holds, for someone who knows nothing of it yet: the artifacts (models,
datasets, shards) and step runs it records, its keys and requests, with counts and
times, and a search over ids, step names and raw platform ids.

Everything is read through the store contract, bounded by ``limit``; a raw post or
author id is found through the identity tables (its keyed lookup), never by scanning for
it in the clear, since the ledger does not hold it in the clear.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lineage.errors import InputError
from lineage.ledger.log import Ledger
from lineage.ledger.subjects import resolve_checked
from lineage.model.graph import DATASET, MODEL, SHARD
from lineage.model.identity import AUTHOR, POST_ID, RECORD_ID
from lineage.model.rows import NodeRow, RequestRow, StatementRow
from lineage.model.times import format_us

ARTIFACT_KINDS = {"models": MODEL, "datasets": DATASET, "shards": SHARD}
"""``lineage ls`` lists of graph nodes, and the node kind each lists."""
MAX_LISTED = 10_000
"""The most rows one listing or search returns (they are counted beyond it)."""
MAX_SEARCH_TEXT = 200
_RAW_KINDS = ((POST_ID, "post"), (AUTHOR, "author"), (RECORD_ID, "record"))


@dataclass
class Listing:
    """Up to ``limit`` rows of one list, and how many there are in all."""

    what: str
    total: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    """For requests: how many of each kind."""

    def to_json(self) -> dict[str, Any]:
        """The listing as one JSON object."""
        found = {"what": self.what, "total": self.total, "listed": len(self.rows)}
        return {**found, **({"by_kind": self.by_kind} if self.by_kind else {}), "rows": self.rows}


def check_limit(limit: int) -> int:
    """``limit`` if it is a number of rows a listing may return."""
    if not 1 <= limit <= MAX_LISTED:
        raise InputError(f"must be 1-{MAX_LISTED:,}", field="--limit")
    return limit


def node_json(row: NodeRow) -> dict[str, Any]:
    """A node as a listing shows it: id, kind, declaring entry and time, attributes."""
    return {
        "id": row.id,
        "kind": row.kind,
        "entry": row.entry,
        "time": format_us(row.time_us),
        "attrs": row.attributes(),
    }


def artifacts(ledger: Ledger, what: str, limit: int) -> Listing:
    """The models, datasets or shards the ledger declares, oldest first."""
    total, rows = ledger.store.nodes_of_kind(ARTIFACT_KINDS[what], check_limit(limit))
    return Listing(what, total, [node_json(row) for row in rows])


@dataclass
class _StepRun:
    step: str
    version: str
    run: str
    keyid: str
    statements: int = 0
    first_entry: int = -1
    last_entry: int = -1
    first_us: int = 0
    last_us: int = 0

    def add(self, row: StatementRow) -> None:
        if self.statements == 0:
            self.first_entry, self.first_us = row.entry, row.time_us
        self.statements += 1
        self.last_entry, self.last_us = row.entry, row.time_us

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "version": self.version,
            "run": self.run,
            "keyid": self.keyid,
            "statements": self.statements,
            "first_entry": self.first_entry,
            "last_entry": self.last_entry,
            "first_time": format_us(self.first_us),
            "last_time": format_us(self.last_us),
        }


def step_runs(ledger: Ledger, limit: int, containing: str = "") -> Listing:
    """Every (step, version, run, key) that signed statements, with how many and when,
    in the order of their first statement (only steps whose name holds ``containing``)."""
    runs: dict[tuple[str, str, str, str], _StepRun] = {}
    needle = containing.lower()
    for row in ledger.store.iter_rows("statements"):
        assert isinstance(row, StatementRow)
        if needle and needle not in row.step.lower():
            continue
        key = (row.step, row.version, row.run, row.keyid)
        if key not in runs:
            runs[key] = _StepRun(*key)
        runs[key].add(row)
    ordered = sorted(runs.values(), key=lambda r: r.first_entry)
    return Listing("steps", len(ordered), [r.to_json() for r in ordered[: check_limit(limit)]])


def keys(ledger: Ledger, limit: int) -> Listing:
    """The signer keys the log registered, in the order it registered them."""
    signers = sorted(ledger.store.signers(), key=lambda s: s.registered_in)
    rows = [s.to_json() for s in signers[: check_limit(limit)]]
    return Listing("keys", len(signers), rows)


def requests(ledger: Ledger, limit: int) -> Listing:
    """The deletion, objection and erasure requests recorded, newest first, with a count
    of each kind (targets are pseudonymous ids: the ledger never holds raw ones)."""
    kinds: Counter[str] = Counter()

    def counted() -> Iterator[RequestRow]:
        for row in ledger.store.iter_rows("requests"):
            assert isinstance(row, RequestRow)
            kinds[row.kind] += 1
            yield row

    newest = heapq.nsmallest(check_limit(limit), counted(), key=_newest_first)
    rows = [
        {
            "target": r.target,
            "kind": r.kind,
            "at": format_us(r.at_us),
            "entry": r.entry,
            "recorded": format_us(r.time_us),
        }
        for r in newest
    ]
    return Listing("requests", sum(kinds.values()), rows, dict(sorted(kinds.items())))


def _newest_first(row: RequestRow) -> tuple[int, str, str]:
    return (-row.entry, row.kind, row.target)


@dataclass
class Found:
    """What a search found: raw platform ids resolved to their nodes, nodes whose id
    holds the text, and step runs whose name does."""

    text: str
    raw: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The search result as one JSON object."""
        return {"text": self.text, "raw": self.raw, "nodes": self.nodes, "steps": self.steps}

    def empty(self) -> bool:
        """Whether the search found nothing."""
        return not (self.raw or self.nodes or self.steps)


def search(ledger: Ledger, text: str, limit: int) -> Found:
    """Nodes and step runs whose names hold ``text`` (ignoring case), and the post,
    author or record whose raw platform id ``text`` is."""
    text = text.strip()
    if not text:
        raise InputError("give some text to search for")
    if len(text) > MAX_SEARCH_TEXT:
        raise InputError(f"search text is longer than {MAX_SEARCH_TEXT} characters")
    check_limit(limit)
    found = Found(text)
    for kind, what in _RAW_KINDS:
        subject = resolve_checked(ledger, kind, text)
        if subject is not None:
            node = ledger.store.node(subject.node_id)
            found.raw.append(
                {
                    "raw_kind": what,
                    "id": subject.node_id,
                    "declared": node is not None,
                    "entry": node.entry if node else None,
                }
            )
    found.nodes = [node_json(row) for row in ledger.store.find_nodes(text, limit)]
    found.steps = step_runs(ledger, limit, containing=text).rows
    return found
