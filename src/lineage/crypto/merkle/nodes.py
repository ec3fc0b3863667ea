"""Addressing of complete subtrees and the node lists that proofs are made of.

A complete subtree is named by ``(level, index)``: it covers the leaves
``[index * 2**level, (index + 1) * 2**level)``. Stores keep the hash of every
complete subtree, so any proof is a handful of lookups and never a rehash.
A proof element that is not a complete subtree (on the right border of a tree
whose size is not a power of two) is a list of complete subtrees to fold.
"""

from __future__ import annotations

from lineage.errors import OutOfRangeError

NodeId = tuple[int, int]
_LEVEL_SHIFT = 48
MAX_TREE_SIZE = 1 << _LEVEL_SHIFT


def node_key(node: NodeId) -> int:
    """A single integer key for a node: its position in an in-order walk of the tree.

    Leaf ``i`` is ``2i``; node ``(level, index)`` is ``(2 index + 1) 2**level - 1``. A
    subtree's nodes have neighbouring keys, so a store ordered by key keeps each small
    subtree on one page, and the lower part of any proof is one or two page reads.
    """
    level, index = node
    return (index << (level + 1)) | ((1 << level) - 1)


def node_from_key(key: int) -> NodeId:
    """The ``(level, index)`` node that :func:`node_key` maps to ``key``."""
    level = (key ^ (key + 1)).bit_length() - 1
    return level, key >> (level + 1)


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def decompose(begin: int, end: int) -> list[NodeId]:
    """The maximal aligned complete subtrees covering ``[begin, end)``, left to right."""
    nodes: list[NodeId] = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else _LEVEL_SHIFT
        while (1 << level) > end - begin:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def inclusion_nodes(index: int, size: int) -> list[list[NodeId]]:
    """The RFC 9162 PATH(index, D[0:size]) as node lists, leaf side first.

    Below level ``inner`` (the highest bit where ``index`` and ``size - 1`` differ)
    the path holds the sibling of each node on the leaf's way up: complete subtrees,
    but for the first one that reaches past the last leaf, which is the right-border
    part ``[start, size)``. Above it the leaf's ancestors are on the right border,
    and only those that are right children have a (complete, left) sibling.

    Precondition: ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise OutOfRangeError(f"leaf index {index} is out of range for tree size {size}")
    inner = (index ^ (size - 1)).bit_length()
    path: list[list[NodeId]] = []
    for level in range(inner):
        sibling = (index >> level) ^ 1
        start = sibling << level
        if start + (1 << level) <= size:
            path.append([(level, sibling)])
        else:
            path.append(decompose(start, size))
    for level in range(inner, size.bit_length()):
        if (index >> level) & 1:
            path.append([(level, (index >> level) ^ 1)])
    return path


def consistency_nodes(size1: int, size2: int) -> list[list[NodeId]]:
    """The RFC 9162 PROOF(size1, D[0:size2]) as node lists, in proof order.

    Precondition: ``0 <= size1 <= size2``. Empty when ``size1`` is 0 or equal to ``size2``.
    """
    if not 0 <= size1 <= size2:
        raise OutOfRangeError(f"tree size {size1} is not between 0 and tree size {size2}")
    if size1 == 0 or size1 == size2:
        return []
    proof: list[list[NodeId]] = []
    start, n, m, complete = 0, size2, size1, True
    while m != n:
        k = split_point(n)
        if m <= k:
            proof.append(decompose(start + k, start + n))
            n = k
        else:
            proof.append(decompose(start, start + k))
            start, n, m, complete = start + k, n - k, m - k, False
    if not complete:
        proof.append(decompose(start, start + m))
    proof.reverse()
    return proof
