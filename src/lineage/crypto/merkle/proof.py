"""Building inclusion and consistency proofs from stored complete-subtree hashes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lineage.crypto.merkle.hasher import EMPTY_ROOT, node_hash
from lineage.crypto.merkle.nodes import NodeId, consistency_nodes, decompose, inclusion_nodes
from lineage.errors import StoreError

NodeSource = Callable[[Sequence[NodeId]], dict[NodeId, bytes]]
"""Returns the stored hashes of the requested complete subtrees (in one lookup)."""


def _fold(elements: list[list[NodeId]], source: NodeSource) -> list[bytes]:
    wanted = sorted({node for element in elements for node in element})
    found = source(wanted)
    missing = [node for node in wanted if node not in found]
    if missing:
        level, index = missing[0]
        raise StoreError(f"tree node level {level} index {index} is missing from the store")
    hashes: list[bytes] = []
    for element in elements:
        acc = found[element[-1]]
        for node in reversed(element[:-1]):
            acc = node_hash(found[node], acc)
        hashes.append(acc)
    return hashes


def root_at(size: int, source: NodeSource) -> bytes:
    """MTH(D[0:size]) from stored complete subtrees: at most log2(size) lookups."""
    if size == 0:
        return EMPTY_ROOT
    return _fold([decompose(0, size)], source)[0]


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (``index < size``)."""
    return _fold(inclusion_nodes(index, size), source)


def consistency_proof(size1: int, size2: int, source: NodeSource) -> list[bytes]:
    """The consistency proof from ``size1`` to ``size2`` (``size1 <= size2``)."""
    return _fold(consistency_nodes(size1, size2), source)
