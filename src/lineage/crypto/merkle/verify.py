"""Verification of RFC 9162 inclusion and consistency proofs (sections 2.1.3.2, 2.1.4.2)."""

from __future__ import annotations

from collections.abc import Sequence

from lineage.crypto.merkle.hasher import HASH_SIZE, node_hash
from lineage.crypto.merkle.nodes import consistency_nodes
from lineage.errors import OutOfRangeError, ProofError, ProofLengthError, RootMismatchError


def _check_hashes(proof: Sequence[bytes]) -> None:
    for position, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"proof hash {position} has {len(item)} bytes, expected {HASH_SIZE}")


def inclusion_proof_length(index: int, size: int) -> int:
    """The number of hashes in an inclusion proof for leaf ``index`` of a tree of ``size``."""
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner + border


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for leaf hash ``leaf`` at ``index`` of ``size``.

    Preconditions, checked first: ``0 <= index < size``; ``len(proof)`` is exactly the
    path length for that index and size; every hash is 32 bytes.
    """
    if not 0 <= index < size:
        raise OutOfRangeError(f"leaf index {index} is out of range for tree size {size}")
    expected = inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise ProofLengthError(expected, len(proof))
    _check_hashes([leaf, *proof])
    fn, sn, acc = index, size - 1, leaf
    for sibling in proof:
        if fn & 1 or fn == sn:
            acc = node_hash(sibling, acc)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            acc = node_hash(acc, sibling)
        fn >>= 1
        sn >>= 1
    return acc


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise unless ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree with ``root``."""
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != root:
        raise RootMismatchError(root, calculated)


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise unless ``proof`` shows the tree (size2, root2) extends the tree (size1, root1).

    Preconditions, checked first: ``0 <= size1 <= size2``; the proof has exactly the
    number of hashes RFC 9162 gives for these sizes; every hash is 32 bytes.
    """
    if not 0 <= size1 <= size2:
        raise OutOfRangeError(f"tree size {size1} is not between 0 and tree size {size2}")
    expected = len(consistency_nodes(size1, size2))
    if len(proof) != expected:
        raise ProofLengthError(expected, len(proof))
    _check_hashes([root1, root2, *proof])
    if size1 == size2:
        if root1 != root2:
            raise RootMismatchError(root1, root2, "equal-size roots")
        return
    if size1 == 0:
        return
    items = list(proof)
    if size1 & (size1 - 1) == 0:
        items.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = items[0]
    for item in items[1:]:
        if sn == 0:
            raise ProofLengthError(expected, len(proof))
        if fn & 1 or fn == sn:
            first = node_hash(item, first)
            second = node_hash(item, second)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            second = node_hash(second, item)
        fn >>= 1
        sn >>= 1
    if first != root1:
        raise RootMismatchError(root1, first, "old root")
    if second != root2:
        raise RootMismatchError(root2, second, "new root")
