"""Raw evidence a third party can check without the store: an entry exactly as hashed into
the log, its inclusion proof against a signed checkpoint, and the consistency proof
between two signed checkpoints (RFC 9162 proofs, C2SP checkpoints; hashes in base64)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.crypto.canonical import parse_json
from lineage.crypto.encoding import b64


@dataclass(frozen=True)
class InclusionProof:
    """Entry ``index`` is in the tree of ``size`` leaves that ``checkpoint`` signs."""

    index: int
    size: int
    leaf_hash: bytes
    hashes: list[bytes]
    checkpoint: str

    def to_json(self) -> dict[str, object]:
        """The proof as a JSON object (hashes in base64)."""
        return {
            "index": self.index,
            "tree_size": self.size,
            "leaf_hash": b64(self.leaf_hash),
            "hashes": [b64(h) for h in self.hashes],
            "checkpoint": self.checkpoint,
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree ``old_checkpoint`` signs is a prefix of the one ``new_checkpoint`` signs."""

    old_size: int
    new_size: int
    hashes: list[bytes]
    old_checkpoint: str
    new_checkpoint: str

    def to_json(self) -> dict[str, object]:
        """The proof as a JSON object (hashes in base64)."""
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "hashes": [b64(h) for h in self.hashes],
            "old_checkpoint": self.old_checkpoint,
            "new_checkpoint": self.new_checkpoint,
        }


@dataclass(frozen=True)
class LogEntry:
    """Entry ``index`` of the log: ``body`` is the envelope exactly as hashed into the
    log (its RFC 8785 form), ``leaf_hash`` the RFC 9162 leaf hash stored for it."""

    index: int
    leaf_hash: bytes
    body: bytes

    def envelope(self) -> Any:
        """The envelope as a JSON value (its RFC 8785 encoding is ``body`` again)."""
        return parse_json(self.body, "entry")

    def to_json(self) -> dict[str, object]:
        """The entry as a JSON object: index, leaf hash (base64) and the envelope."""
        return {"index": self.index, "leaf_hash": b64(self.leaf_hash), "envelope": self.envelope()}


@dataclass(frozen=True)
class BatchItem:
    """Item ``position`` of a Lineage/v2 entry's batch: its exact canonical text and its
    path to the batch root the entry signs."""

    entry: int
    position: int
    text: bytes
    path: list[bytes]

    def to_json(self) -> dict[str, object]:
        """The item as a bundle discloses it (``docs/bundle.md``)."""
        return {
            "entry": self.entry,
            "position": self.position,
            "item": self.text.decode(),
            "path": [b64(h) for h in self.path],
        }
