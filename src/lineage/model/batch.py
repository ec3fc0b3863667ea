"""Batch statements (Lineage/v2, Request/v2): a statement signs a fixed-size commitment
to its batch of items instead of holding them.

A Lineage/v2 batch's *items* are its nodes (``[kind, id, attributes]``) then its edges
(``[kind, src, dst]``); a Request/v2 batch's are requests (``[kind, target, at]``).
Each item is encoded in RFC 8785 form; its leaf hash is ``SHA-256(0x00 || tag ||
item)`` with the tag ``"lineage.dev/Lineage/v2 item\\n"`` (or ``Request/v2``): an RFC
9162 leaf over a domain tag, so no item hash can be taken for a log leaf, whose data is
an envelope starting with ``{``. The batch root is the RFC 9162 Merkle tree hash of the
leaf hashes in order. The statement's predicate holds::

    "batch": {"root": "<base64 SHA-256>", "nodes": 12, "edges": 30}

(``"requests": 3`` for requests), and the items travel and are stored beside the
envelope, one canonical encoding per line (canonical JSON never holds a raw newline).
One item is then proven by the envelope, the item, and its O(log n) path in the batch
tree.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from lineage.crypto.canonical import canonical_bytes, canonical_lines, parse_canonical, parse_json
from lineage.crypto.dsse import Envelope, envelope_from_json
from lineage.crypto.encoding import from_b64
from lineage.crypto.merkle.hasher import HASH_SIZE, leaf_hash
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
from lineage.model.item_columns import ItemColumns
from lineage.model.predicates import LINEAGE_V2, REQUEST_V2
from lineage.model.requests import MAX_REQUESTS_PER_STATEMENT, check_requests
from lineage.model.statement import MAX_SUBJECTS, Statement

SECTIONS: dict[str, tuple[str, ...]] = {
    LINEAGE_V2: ("nodes", "edges"),
    REQUEST_V2: ("requests",),
}
"""The batch statement types, with the sections of their items in order."""
_LIMITS = {
    "nodes": MAX_NODES_PER_STATEMENT,
    "edges": MAX_EDGES_PER_STATEMENT,
    "requests": MAX_REQUESTS_PER_STATEMENT,
}
_CHECKS: dict[str, Callable[[object, str, int], list[Any]]] = {
    "nodes": check_nodes,
    "edges": check_edges,
    "requests": check_requests,
}
MAX_ITEMS_BYTES = 3 * 1024 * 1024
"""The largest stored batch (its items, one per line)."""
_DIGEST_ATTRIBUTE = {SHARD: "sha256", MODEL: "checkpoint_sha256", DATASET: "manifest_sha256"}
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")

Items = tuple[list[list[Any]], list[list[str]]]
"""A Lineage/v2 batch's nodes and edges."""


def item_tag(predicate_type: str) -> bytes:
    """The domain tag of the items of a batch statement type."""
    return predicate_type.removeprefix("https://").encode() + b" item\n"


ITEM_DOMAIN = item_tag(LINEAGE_V2)
_LEAF, _NODE = b"\x00", b"\x01"
"""RFC 9162's leaf and interior-node prefixes (written out here: trees of a batch are
hashed in bulk)."""


@dataclass(frozen=True)
class BatchEnvelope(Envelope):
    """A batch statement's envelope with the items it commits to (one per line), and,
    from the columnar pipeline, the same items as columns (checked against ``items``
    before they are read: :mod:`lineage.ledger.bulk_projection`)."""

    items: bytes = b""
    columns: ItemColumns | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Commitment:
    """What a batch statement signs about its batch: its root and section counts."""

    predicate_type: str
    root: bytes
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        """The number of items."""
        return sum(self.counts)

    @property
    def tag(self) -> bytes:
        """The domain tag of this batch's item leaves."""
        return item_tag(self.predicate_type)

    def section_of(self, position: int) -> str:
        """The section (``nodes``, ``edges``, ``requests``) item ``position`` is in."""
        for name, count in zip(SECTIONS[self.predicate_type], self.counts, strict=True):
            if position < count:
                return name
            position -= count
        raise InputError(f"position beyond the batch's {self.total} items")

    def to_json(self) -> dict[str, object]:
        """The commitment as ``predicate.batch``."""
        names = SECTIONS[self.predicate_type]
        return {
            "root": base64.b64encode(self.root).decode(),
            **dict(zip(names, self.counts, strict=True)),
        }


def item_leaf(encoded: bytes, tag: bytes = ITEM_DOMAIN) -> bytes:
    """The batch-tree leaf hash of one item's canonical encoding."""
    return leaf_hash(tag + encoded)


def item_leaves(lines: Sequence[bytes], tag: bytes = ITEM_DOMAIN) -> list[bytes]:
    """The leaf hashes of many items (:func:`item_leaf` of each)."""
    prefix = _LEAF + tag
    return [sha256(prefix + line).digest() for line in lines]


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the RFC 9162 tree of ``leaves``, leaves first (an odd last node is
    carried up unchanged, which is what the tree's split rule amounts to)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        paired = [
            sha256(_NODE + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        levels.append(paired)
    return levels


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """The RFC 9162 Merkle tree hash of ``leaves`` (at least one)."""
    return _levels(leaves)[-1][0]


def path_in(levels: list[list[bytes]], index: int) -> list[bytes]:
    """The inclusion path of leaf ``index`` in a tree given by its levels (as
    :func:`verified_tree` returns them)."""
    path = []
    for level in levels[:-1]:
        if index ^ 1 < len(level):
            path.append(level[index ^ 1])
        index //= 2
    return path


def tree_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 9162 inclusion path of leaf ``index`` in the tree of ``leaves``."""
    return path_in(_levels(leaves), index)


def encode_items(*sections: Sequence[Sequence[Any]]) -> bytes:
    """The items of a batch as stored: one canonical encoding per line, section by section."""
    return b"\n".join(line for section in sections for line in canonical_lines(list(section)))


def commit_sections(
    predicate_type: str, sections: Sequence[Sequence[Sequence[Any]]]
) -> tuple[Commitment, bytes]:
    """The commitment to a batch of ``predicate_type`` and its stored items."""
    return commit_lines(predicate_type, [canonical_lines(list(s)) for s in sections])


def commit_lines(
    predicate_type: str, sections: Sequence[Sequence[bytes]]
) -> tuple[Commitment, bytes]:
    """The commitment to a batch of ``predicate_type`` whose items, section by section,
    are already in canonical form, and its stored items."""
    lines = [line for section in sections for line in section]
    root = tree_root(item_leaves(lines, item_tag(predicate_type)))
    return Commitment(predicate_type, root, tuple(len(s) for s in sections)), b"\n".join(lines)


def commit(nodes: list[list[Any]], edges: list[list[str]]) -> tuple[Commitment, bytes]:
    """The commitment to a Lineage/v2 batch and its stored items."""
    return commit_sections(LINEAGE_V2, [nodes, edges])


def commitment_of(statement: Statement) -> Commitment:
    """The batch commitment a batch statement signs; InputError if malformed."""
    names = SECTIONS[statement.predicate_type]
    raw = statement.predicate.get("batch")
    field = "predicate.batch"
    if not isinstance(raw, dict) or set(raw) != {"root", *names}:
        raise InputError(f"must be an object of root, {' and '.join(names)}", field=field)
    try:
        root = from_b64(raw["root"], f"{field}.root")
    except InputError:
        root = b""
    if len(root) != HASH_SIZE:
        raise InputError("must be a base64 SHA-256 hash", field=f"{field}.root")
    counts = []
    for name in names:
        count, limit = raw[name], _LIMITS[name]
        if type(count) is not int or not 0 <= count <= limit:
            raise InputError(f"must be 0-{limit}", field=f"{field}.{name}")
        counts.append(count)
    if sum(counts) == 0:
        raise InputError("a batch holds at least one item", field=field)
    for name in names:
        if name in statement.predicate:
            raise InputError(
                "a batch statement carries its items beside the envelope, not in it",
                field=f"predicate.{name}",
            )
    return Commitment(statement.predicate_type, root, tuple(counts))


def item_lines(items: bytes) -> list[bytes]:
    """The stored items of a batch, one canonical encoding each."""
    return items.split(b"\n")


def open_sections(statement: Statement, items: bytes | None) -> list[list[Any]]:
    """The items ``items`` holds, by section, checked against what ``statement`` (a batch
    statement) commits to: each item canonical and valid, the counts, the root and the
    subjects."""
    commitment = commitment_of(statement)
    if items is None:
        raise BatchError("a batch statement needs its items beside the envelope")
    if len(items) > MAX_ITEMS_BYTES:
        raise BatchError(f"the batch items are larger than {MAX_ITEMS_BYTES} bytes")
    lines = item_lines(items)
    if len(lines) != commitment.total:
        counted = ", ".join(
            f"{count} {name}"
            for name, count in zip(
                SECTIONS[commitment.predicate_type], commitment.counts, strict=True
            )
        )
        raise BatchError(f"the batch holds {len(lines)} items, the statement commits to {counted}")
    sections = check_lines(commitment, lines, "items")
    if tree_root(item_leaves(lines, commitment.tag)) != commitment.root:
        raise BatchError("the batch items do not hash to the root the statement signs")
    nodes = sections[0] if commitment.predicate_type == LINEAGE_V2 else []
    if statement.subjects != artifact_subjects(nodes, commitment.root, statement.step.name):
        raise InputError(
            "the subjects are not the batch's artifacts (shards, datasets and models with"
            " a digest, else the batch root)",
            field="subject",
        )
    return sections


def verified_tree(
    statement: Statement, items: bytes | None
) -> tuple[list[bytes], list[list[bytes]]]:
    """The stored item lines of a batch statement and the levels of their tree (see
    :func:`path_in`), if they are as many as it commits to and hash to the root it signs
    (their shapes are not read); BatchError if not."""
    commitment = commitment_of(statement)
    if items is None:
        raise BatchError("a batch statement needs its items beside the envelope")
    lines = item_lines(items)
    levels = _levels(item_leaves(lines, commitment.tag))
    if len(lines) != commitment.total or levels[-1][0] != commitment.root:
        raise BatchError("the batch items do not hash to the root the statement signs")
    return lines, levels


def proven_item(statement: Statement, items: bytes | None, prefix: bytes) -> list[Any] | None:
    """The first item of a batch statement's ``items`` whose encoding starts with
    ``prefix`` (e.g. ``["Subject","subject:…",``), valid and under the root the
    statement signs (every leaf is hashed, only that item is read); None if there is
    none. Cheaper than :func:`open_sections` when one item is wanted."""
    lines, _ = verified_tree(statement, items)
    for position, line in enumerate(lines):
        if line.startswith(prefix):
            return check_item(commitment_of(statement), position, parse_canonical(line, "item"))
    return None


def open_batch(statement: Statement, items: bytes | None) -> Items:
    """The nodes and edges of a Lineage/v2 statement's ``items``, checked (see
    :func:`open_sections`)."""
    nodes, edges = open_sections(statement, items)
    return nodes, edges


def check_lines(
    commitment: Commitment, lines: Sequence[bytes], field: str = "item"
) -> list[list[Any]]:
    """The values of a batch's first items (at most as many as it commits to), by
    section, each canonical and of its section's shape, read in bulk; InputError if one
    is not (naming ``field[position]``)."""
    lines = lines[: commitment.total]
    # each item's shape is checked below, which bounds the depth
    values = parse_canonical(b"[" + b",".join(lines) + b"]", field, check_depth=False)
    if len(values) != len(lines):
        raise InputError("an item is not one JSON value")
    sections: list[list[Any]] = []
    first = 0
    for name, count in zip(SECTIONS[commitment.predicate_type], commitment.counts, strict=True):
        part = values[first : first + count]
        sections.append(_CHECKS[name](part, field, first) if part else [])
        first += count
    return sections


def check_item(commitment: Commitment, position: int, value: object) -> list[Any]:
    """``value`` if it is a valid item for ``position`` of a batch (its section's shape)."""
    if not 0 <= position < commitment.total:
        raise InputError(f"position {position} is not below {commitment.total}")
    section = commitment.section_of(position)
    checked: list[Any] = _CHECKS[section]([value], "item", position)[0]
    return checked


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


def batch_proof(items: bytes, position: int, tag: bytes = ITEM_DOMAIN) -> tuple[bytes, list[bytes]]:
    """Item ``position`` of a stored batch and its path to the batch root."""
    lines = item_lines(items)
    leaves = item_leaves(lines, tag)
    return lines[position], tree_path(leaves, position)


def verify_item(
    item: bytes,
    position: int,
    count: int,
    path: Sequence[bytes],
    root: bytes,
    tag: bytes = ITEM_DOMAIN,
) -> None:
    """Raise InputError unless ``item`` is item ``position`` of ``count`` under ``root``."""
    try:
        found = root_from_inclusion_proof(position, count, item_leaf(item, tag), path)
    except LineageError as exc:
        raise InputError(f"batch path does not verify: {exc}") from exc
    if found != root:
        raise InputError("batch path does not lead to the batch root the statement signs")


def is_v2(statement: Statement) -> bool:
    """Whether ``statement`` is a batch statement (Lineage/v2 or Request/v2: its items
    beside the envelope)."""
    return statement.predicate_type in SECTIONS


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
        return BatchEnvelope(**vars(envelope), items=encode_items(values))
    return envelope_from_json(raw)


_MAX_ITEMS = MAX_NODES_PER_STATEMENT + MAX_EDGES_PER_STATEMENT
