"""Lineage/v2: a statement signs a fixed-size commitment to its batch of nodes and edges.

The batch's *items* are its nodes (``[kind, id, attributes]``) then its edges
(``[kind, src, dst]``), in order. Each item is encoded in RFC 8785 form; its leaf
hash is ``SHA-256(0x00 || "lineage.dev/Lineage/v2 item\\n" || item)`` (an RFC 9162
leaf over a domain tag, so no item hash can be taken for a log leaf, whose data is an
envelope starting with ``{``); the batch root is the RFC 9162 Merkle tree hash of the
leaf hashes in order. The statement's predicate holds::

    "batch": {"root": "<base64 SHA-256>", "nodes": 12, "edges": 30}

and the items travel and are stored beside the envelope, one canonical encoding per
line (canonical JSON never holds a raw newline). One item is then proven by the
envelope, the item, and its O(log n) path in the batch tree.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lineage.crypto.canonical import canonical_bytes, parse_canonical, parse_json
from lineage.crypto.dsse import Envelope, envelope_from_json
from lineage.crypto.merkle.hasher import HASH_SIZE, leaf_hash, node_hash
from lineage.crypto.merkle.verify import root_from_inclusion_proof
from lineage.errors import BatchError, InputError, LineageError
from lineage.model.graph import (
    DATASET,
    MAX_EDGES_PER_STATEMENT,
    MAX_NODES_PER_STATEMENT,
    MODEL,
    SHARD,
    check_edges,
    check_nodes,
)
from lineage.model.predicates import LINEAGE_V2
from lineage.model.statement import MAX_SUBJECTS, Statement

ITEM_DOMAIN = b"lineage.dev/Lineage/v2 item\n"
MAX_ITEMS_BYTES = 3 * 1024 * 1024
"""The largest stored batch (its items, one per line)."""
_DIGEST_ATTRIBUTE = {SHARD: "sha256", MODEL: "checkpoint_sha256", DATASET: "manifest_sha256"}
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

Items = tuple[list[list[Any]], list[list[str]]]
"""A batch's nodes and edges."""


@dataclass(frozen=True)
class BatchEnvelope(Envelope):
    """A Lineage/v2 envelope with the items its statement commits to (one per line)."""

    items: bytes = b""


@dataclass(frozen=True)
class Commitment:
    """What a Lineage/v2 predicate signs about its batch."""

    root: bytes
    nodes: int
    edges: int

    def to_json(self) -> dict[str, object]:
        """The commitment as ``predicate.batch``."""
        return {
            "root": base64.b64encode(self.root).decode(),
            "nodes": self.nodes,
            "edges": self.edges,
        }


def item_leaf(encoded: bytes) -> bytes:
    """The batch-tree leaf hash of one item's canonical encoding."""
    return leaf_hash(ITEM_DOMAIN + encoded)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """The RFC 9162 Merkle tree hash of ``leaves`` (at least one)."""
    return _levels(leaves)[-1][0]


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the RFC 9162 tree of ``leaves``, leaves first (an odd last node is
    carried up unchanged, which is what the tree's split rule amounts to)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        levels.append(paired)
    return levels


def tree_paths(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """The RFC 9162 inclusion path of every leaf of the tree of ``leaves``."""
    levels = _levels(leaves)
    paths: list[list[bytes]] = []
    for index in range(len(leaves)):
        path, at = [], index
        for level in levels[:-1]:
            if at ^ 1 < len(level):
                path.append(level[at ^ 1])
            at //= 2
        paths.append(path)
    return paths


def tree_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 9162 inclusion path of leaf ``index`` in the tree of ``leaves``."""
    path = []
    for level in _levels(leaves)[:-1]:
        if index ^ 1 < len(level):
            path.append(level[index ^ 1])
        index //= 2
    return path


def encode_items(nodes: Sequence[Sequence[Any]], edges: Sequence[Sequence[str]]) -> bytes:
    """The items of a batch as stored: one canonical encoding per line, nodes first."""
    return b"\n".join(canonical_bytes(item) for item in (*nodes, *edges))


def commit(nodes: list[list[Any]], edges: list[list[str]]) -> tuple[Commitment, bytes]:
    """The commitment to a batch and its stored items."""
    items = encode_items(nodes, edges)
    root = tree_root([item_leaf(line) for line in items.split(b"\n")])
    return Commitment(root, len(nodes), len(edges)), items


def commitment_of(statement: Statement) -> Commitment:
    """The batch commitment a Lineage/v2 statement signs; InputError if malformed."""
    raw = statement.predicate.get("batch")
    field = "predicate.batch"
    if not isinstance(raw, dict) or set(raw) != {"root", "nodes", "edges"}:
        raise InputError("must be an object of root, nodes and edges", field=field)
    root_text, nodes, edges = raw["root"], raw["nodes"], raw["edges"]
    try:
        root = base64.b64decode(root_text, validate=True) if isinstance(root_text, str) else b""
    except (binascii.Error, ValueError):
        root = b""
    if len(root) != HASH_SIZE:
        raise InputError("must be a base64 SHA-256 hash", field=f"{field}.root")
    if type(nodes) is not int or not 0 <= nodes <= MAX_NODES_PER_STATEMENT:
        raise InputError(f"must be 0-{MAX_NODES_PER_STATEMENT}", field=f"{field}.nodes")
    if type(edges) is not int or not 0 <= edges <= MAX_EDGES_PER_STATEMENT:
        raise InputError(f"must be 0-{MAX_EDGES_PER_STATEMENT}", field=f"{field}.edges")
    if nodes + edges == 0:
        raise InputError("a batch holds at least one node or edge", field=field)
    for name in ("nodes", "edges"):
        if name in statement.predicate:
            raise InputError(
                "a Lineage/v2 statement carries its items beside the envelope, not in it",
                field=f"predicate.{name}",
            )
    return Commitment(root, nodes, edges)


def item_lines(items: bytes) -> list[bytes]:
    """The stored items of a batch, one canonical encoding each."""
    return items.split(b"\n")


def open_batch(statement: Statement, items: bytes | None) -> Items:
    """The nodes and edges ``items`` holds, checked against what ``statement`` (Lineage/v2)
    commits to: each item canonical and valid, the counts, the root and the subjects."""
    commitment = commitment_of(statement)
    if items is None:
        raise BatchError("a Lineage/v2 statement needs its batch items beside the envelope")
    if len(items) > MAX_ITEMS_BYTES:
        raise BatchError(f"the batch items are larger than {MAX_ITEMS_BYTES} bytes")
    lines = item_lines(items)
    if len(lines) != commitment.nodes + commitment.edges:
        raise BatchError(
            f"the batch holds {len(lines)} items, the statement commits to"
            f" {commitment.nodes} nodes and {commitment.edges} edges"
        )
    values = parse_canonical(b"[" + b",".join(lines) + b"]", "batch items")
    nodes = check_nodes(values[: commitment.nodes], "items")
    edges = check_edges(values[commitment.nodes :], "items", commitment.nodes)
    if tree_root([item_leaf(line) for line in lines]) != commitment.root:
        raise BatchError("the batch items do not hash to the root the statement signs")
    if statement.subjects != artifact_subjects(nodes, commitment.root, statement.step.name):
        raise InputError(
            "the subjects are not the batch's artifacts (shards, datasets and models with"
            " a digest, else the batch root)",
            field="subject",
        )
    return nodes, edges


def artifact_subjects(
    nodes: Sequence[Sequence[Any]], root: bytes, step: str
) -> list[dict[str, Any]]:
    """The in-toto subjects of a Lineage/v2 statement: each shard by its file's SHA-256,
    each dataset by its manifest's and each model by its weights' when given (at most
    :data:`MAX_SUBJECTS`, first asserted first), else the batch itself by its root."""
    subjects: list[dict[str, Any]] = []
    seen: set[str] = set()
    for kind, node_id, attrs in nodes:
        name = _DIGEST_ATTRIBUTE.get(kind)
        digest = attrs.get(name) if name and isinstance(attrs, dict) else None
        if (
            isinstance(digest, str)
            and _HEX64.match(digest)
            and node_id not in seen
            and len(subjects) < MAX_SUBJECTS
        ):
            seen.add(node_id)
            subjects.append({"name": node_id, "digest": {"sha256": digest}})
    return subjects or [{"name": f"lineage-batch:{step}", "digest": {"sha256": root.hex()}}]


def batch_proof(items: bytes, position: int) -> tuple[bytes, list[bytes]]:
    """Item ``position`` of a stored batch and its path to the batch root."""
    lines = item_lines(items)
    leaves = [item_leaf(line) for line in lines]
    return lines[position], tree_path(leaves, position)


def verify_item(item: bytes, position: int, count: int, path: Sequence[bytes], root: bytes) -> None:
    """Raise InputError unless ``item`` is item ``position`` of ``count`` under ``root``."""
    try:
        found = root_from_inclusion_proof(position, count, item_leaf(item), path)
    except LineageError as exc:
        raise InputError(f"batch path does not verify: {exc}") from exc
    if found != root:
        raise InputError("batch path does not lead to the batch root the statement signs")


def is_v2(statement: Statement) -> bool:
    """Whether ``statement`` is a Lineage/v2 statement (items beside the envelope)."""
    return statement.predicate_type == LINEAGE_V2


def envelope_line(envelope: Envelope) -> bytes:
    """An envelope as one JSON line of input to ``lineage append``: the DSSE envelope
    itself, or for a Lineage/v2 statement ``{"envelope": …, "items": [item, …]}``."""
    if not isinstance(envelope, BatchEnvelope):
        return envelope.canonical()
    items = parse_json(b"[" + b",".join(item_lines(envelope.items)) + b"]", "items")
    return canonical_bytes({"envelope": envelope.to_json(), "items": items})


def envelope_from_line(raw: object) -> Envelope:
    """The envelope (with its batch items, if any) of one parsed input line."""
    if isinstance(raw, dict) and "envelope" in raw:
        if set(raw) != {"envelope", "items"}:
            raise InputError("a batch line holds exactly envelope and items", field="items")
        values = raw["items"]
        if not isinstance(values, list) or not values or len(values) > _MAX_ITEMS:
            raise InputError(f"must be a list of 1-{_MAX_ITEMS} items", field="items")
        envelope = envelope_from_json(raw["envelope"])
        return BatchEnvelope(**vars(envelope), items=encode_items(values, []))
    return envelope_from_json(raw)


_MAX_ITEMS = MAX_NODES_PER_STATEMENT + MAX_EDGES_PER_STATEMENT
