"""The right border of a growing tree: appends leaves and yields the new complete subtrees."""

from __future__ import annotations

from collections.abc import Sequence

from lineage.crypto.merkle.hasher import EMPTY_ROOT, node_hash
from lineage.crypto.merkle.nodes import NodeId, decompose


class CompactRange:
    """The complete subtrees covering ``[0, size)``; O(log size) memory."""

    def __init__(self, size: int = 0, border: Sequence[bytes] = ()) -> None:
        expected = len(decompose(0, size))
        if len(border) != expected:
            raise ValueError(
                f"a tree of size {size} has {expected} border nodes, got {len(border)}"
            )
        self.size = size
        self._hashes = list(border)
        self._levels = [level for level, _ in decompose(0, size)]

    @staticmethod
    def border_nodes(size: int) -> list[NodeId]:
        """The complete subtrees whose hashes a compact range of ``size`` leaves holds."""
        return decompose(0, size)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf hash; return every complete subtree it completes, leaf first."""
        index = self.size
        self.size += 1
        created: list[tuple[NodeId, bytes]] = [((0, index), leaf)]
        hashes, levels = self._hashes, self._levels
        hashes.append(leaf)
        levels.append(0)
        while len(levels) >= 2 and levels[-1] == levels[-2]:
            right = hashes.pop()
            level = levels.pop() + 1
            merged = node_hash(hashes[-1], right)
            hashes[-1] = merged
            levels[-1] = level
            created.append(((level, (self.size >> level) - 1), merged))
        return created

    def border(self) -> list[bytes]:
        """The hashes of the complete subtrees covering the leaves, left to right."""
        return list(self._hashes)

    def root(self) -> bytes:
        """The RFC 9162 root hash of the leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for item in reversed(self._hashes[:-1]):
            acc = node_hash(item, acc)
        return acc
