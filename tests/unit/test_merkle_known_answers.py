"""Known answers for the RFC 9162 tree, from the Certificate Transparency test data.

The eight leaves and the roots of the trees of size 0 to 8 are the reference
vectors of RFC 6962's reference implementation, as published in
github.com/google/certificate-transparency (merkle_tree_test.cc) and
transparency-dev/merkle (testonly/constants.go). The inclusion and consistency
proofs below are the ones those suites list for the same tree. A log whose
roots differ from these cannot be checked by anyone else's tools.
"""

from __future__ import annotations

import pytest

from lineage.crypto.merkle import proof as merkle_proof
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import EMPTY_ROOT, leaf_hash
from lineage.crypto.merkle.nodes import NodeId, split_point
from lineage.crypto.merkle.verify import verify_consistency, verify_inclusion

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def _stored_tree() -> dict[NodeId, bytes]:
    tree, nodes = CompactRange(), {}
    for entry in LEAVES:
        nodes.update(tree.append(leaf_hash(entry)))
    return nodes


def _source(nodes: dict[NodeId, bytes]):  # type: ignore[no-untyped-def]
    return lambda wanted: {n: nodes[n] for n in wanted if n in nodes}


def test_empty_root_is_sha256_of_nothing() -> None:
    assert ROOTS[0] == EMPTY_ROOT


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference(size: int) -> None:
    tree = CompactRange()
    for entry in LEAVES[:size]:
        tree.append(leaf_hash(entry))
    assert tree.root() == ROOTS[size]
    assert merkle_proof.root_at(size, _source(_stored_tree())) == ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_inclusion_proofs_match_the_reference(index: int, size: int) -> None:
    expected = [bytes.fromhex(h) for h in INCLUSION[(index, size)]]
    assert merkle_proof.inclusion_proof(index, size, _source(_stored_tree())) == expected
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), expected, ROOTS[size])


@pytest.mark.parametrize(("size1", "size2"), sorted(CONSISTENCY))
def test_consistency_proofs_match_the_reference(size1: int, size2: int) -> None:
    expected = [bytes.fromhex(h) for h in CONSISTENCY[(size1, size2)]]
    assert merkle_proof.consistency_proof(size1, size2, _source(_stored_tree())) == expected
    verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], expected)


def test_split_is_the_largest_power_of_two_below_n_not_the_midpoint() -> None:
    cases = {2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 8: 4, 9: 8, 1000: 512, 1 << 40: 1 << 39}
    assert {n: split_point(n) for n in cases} == cases
