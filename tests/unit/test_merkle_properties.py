"""The fast tree (stored complete subtrees) against the plain recursive RFC 9162 reference."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.crypto.merkle import proof as merkle_proof
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.nodes import NodeId
from lineage.crypto.merkle.proof import NodeSource
from lineage.crypto.merkle.verify import verify_consistency, verify_inclusion
from lineage.errors import ProofError

from support.merkle_reference import mth, path, proof

MAX_SIZE = 2048
ENTRIES = [b"leaf %d" % i for i in range(MAX_SIZE)]


@cache
def stored_nodes() -> dict[NodeId, bytes]:
    tree, nodes = CompactRange(), {}
    for entry in ENTRIES:
        nodes.update(tree.append(leaf_hash(entry)))
    return nodes


def counting_source(counter: list[int]) -> NodeSource:
    nodes = stored_nodes()

    def source(wanted: object) -> dict[NodeId, bytes]:
        assert isinstance(wanted, list)
        counter.append(len(wanted))
        return {n: nodes[n] for n in wanted if n in nodes}

    return source


@cache
def ref_root(size: int) -> bytes:
    return mth(ENTRIES[:size])


def test_every_size_up_to_300_has_the_reference_root_and_border() -> None:
    tree = CompactRange()
    for size in range(1, 301):
        tree.append(leaf_hash(ENTRIES[size - 1]))
        assert tree.root() == ref_root(size), size
        assert merkle_proof.root_at(size, counting_source([])) == ref_root(size)


def test_every_leaf_of_every_size_up_to_64_proves_inclusion() -> None:
    for size in range(1, 65):
        for index in range(size):
            got = merkle_proof.inclusion_proof(index, size, counting_source([]))
            assert got == path(index, ENTRIES[:size]), (index, size)
            verify_inclusion(index, size, leaf_hash(ENTRIES[index]), got, ref_root(size))


def test_every_size_pair_up_to_64_proves_consistency() -> None:
    for size2 in range(1, 65):
        for size1 in range(0, size2 + 1):
            got = merkle_proof.consistency_proof(size1, size2, counting_source([]))
            assert got == proof(size1, ENTRIES[:size2]), (size1, size2)
            verify_consistency(size1, size2, ref_root(size1), ref_root(size2), got)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, MAX_SIZE).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_matches_reference_with_one_lookup_of_log_n_nodes(case: tuple[int, int]) -> None:
    size, index = case
    lookups: list[int] = []
    got = merkle_proof.inclusion_proof(index, size, counting_source(lookups))
    assert got == path(index, ENTRIES[:size])
    assert len(lookups) == 1 and lookups[0] <= 2 * size.bit_length()
    verify_inclusion(index, size, leaf_hash(ENTRIES[index]), got, ref_root(size))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, MAX_SIZE).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_consistency_matches_reference(case: tuple[int, int]) -> None:
    size1, size2 = case
    lookups: list[int] = []
    got = merkle_proof.consistency_proof(size1, size2, counting_source(lookups))
    assert got == proof(size1, ENTRIES[:size2])
    assert sum(lookups) <= 2 * size2.bit_length()
    verify_consistency(size1, size2, ref_root(size1), ref_root(size2), got)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(2, MAX_SIZE).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(0, 255))
    )
)
def test_any_flipped_bit_in_an_inclusion_proof_is_rejected(case: tuple[int, int, int]) -> None:
    size, index, bit = case
    good = merkle_proof.inclusion_proof(index, size, counting_source([]))
    position = bit % len(good)
    bad = list(good)
    bad[position] = bytes([bad[position][0] ^ (1 << (bit % 8))]) + bad[position][1:]
    try:
        verify_inclusion(index, size, leaf_hash(ENTRIES[index]), bad, ref_root(size))
    except ProofError:
        return
    raise AssertionError("a modified proof verified")
