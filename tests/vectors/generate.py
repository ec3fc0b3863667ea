"""Write the mutation-named proof vectors in this directory (run by hand; output is committed).

Valid proofs come from the plain RFC 9162 reference in tests/support/merkle_reference.py,
never from the code under test. Each file applies one mutation to a valid proof
and names, by hand, the error a correct verifier must raise for it.

    python tests/vectors/generate.py
"""

from __future__ import annotations

import json
import sys
from hashlib import sha256
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from support.merkle_reference import mth, path, proof  # noqa: E402

ENTRIES = [b"entry-%d" % i for i in range(16)]
INDEX, SIZE = 6, 13
SIZE1, SIZE2 = 5, 13


def flip(value: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(value))
    raw[0] ^= 1 << bit
    return raw.hex()


def leaf(i: int) -> str:
    return sha256(b"\x00" + ENTRIES[i]).hexdigest()


def root(n: int) -> str:
    return mth(ENTRIES[:n]).hex()


def inclusion_vectors() -> dict[str, dict[str, Any]]:
    valid = [h.hex() for h in path(INDEX, ENTRIES[:SIZE])]
    base = {
        "index": INDEX,
        "size": SIZE,
        "leaf_hash": leaf(INDEX),
        "root": root(SIZE),
        "proof": valid,
    }
    garbage = sha256(b"garbage").hexdigest()
    out: dict[str, dict[str, Any]] = {"happy-path": {**base, "expect": None}}

    def add(name: str, expect: str, **changes: Any) -> None:
        out[name] = {**base, **changes, "expect": expect}

    add("leafIdx-plus-1", "RootMismatchError", index=INDEX + 1)
    add("leafIdx-minus-1", "RootMismatchError", index=INDEX - 1)
    add("leafIdx-equals-treeSize", "OutOfRangeError", index=SIZE)
    add("leafIdx-negative", "OutOfRangeError", index=-1)
    # Sizes 9 to 16 give leaf 6 the same audit path: a size change inside that range
    # is not a mutation of the proof. These leave it.
    add("treeSize-plus-4", "ProofLengthError", size=SIZE + 4)
    add("treeSize-minus-5", "ProofLengthError", size=SIZE - 5)
    add("treeSize-zero", "OutOfRangeError", size=0)
    add("leafIdx-last-of-tree", "ProofLengthError", index=SIZE - 1)
    for i in range(len(valid)):
        add(
            f"modified-proof[{i}]-bit-3",
            "RootMismatchError",
            proof=[flip(h, 3) if j == i else h for j, h in enumerate(valid)],
        )
    add("modified-leaf-hash-bit-0", "RootMismatchError", leaf_hash=flip(leaf(INDEX), 0))
    add("modified-root-bit-7", "RootMismatchError", root=flip(root(SIZE), 7))
    add("swapped-proof[0]-[1]", "RootMismatchError", proof=[valid[1], valid[0], *valid[2:]])
    add("trailing-garbage", "ProofLengthError", proof=[*valid, garbage])
    add("preceding-garbage", "ProofLengthError", proof=[garbage, *valid])
    add("truncated-last", "ProofLengthError", proof=valid[:-1])
    add("empty-proof", "ProofLengthError", proof=[])
    add("short-hash-proof[0]", "ProofError", proof=[valid[0][:62], *valid[1:]])
    add("root-of-other-size", "RootMismatchError", root=root(SIZE - 1))
    return out


def consistency_vectors() -> dict[str, dict[str, Any]]:
    valid = [h.hex() for h in proof(SIZE1, ENTRIES[:SIZE2])]
    base = {
        "size1": SIZE1,
        "size2": SIZE2,
        "root1": root(SIZE1),
        "root2": root(SIZE2),
        "proof": valid,
    }
    garbage = sha256(b"garbage").hexdigest()
    out: dict[str, dict[str, Any]] = {"happy-path": {**base, "expect": None}}

    def add(name: str, expect: str, **changes: Any) -> None:
        out[name] = {**base, **changes, "expect": expect}

    add("size1-plus-1", "ProofLengthError", size1=SIZE1 + 1)
    add("size1-minus-1", "ProofLengthError", size1=SIZE1 - 1)
    add("size1-plus-2", "RootMismatchError", size1=SIZE1 + 2)
    # Sizes 9 to 16 share this proof's shape; 17 leaves it.
    add("size2-plus-4", "ProofLengthError", size2=SIZE2 + 4)
    add("size1-greater-than-size2", "OutOfRangeError", size1=SIZE2 + 1)
    add("size1-negative", "OutOfRangeError", size1=-1)
    add("size1-equals-size2-with-proof", "ProofLengthError", size1=SIZE2, root1=root(SIZE2))
    add("size1-zero-with-proof", "ProofLengthError", size1=0)
    for i in range(len(valid)):
        add(
            f"modified-proof[{i}]-bit-4",
            "RootMismatchError",
            proof=[flip(h, 4) if j == i else h for j, h in enumerate(valid)],
        )
    add("swapped-roots", "RootMismatchError", root1=root(SIZE2), root2=root(SIZE1))
    add("modified-root1-bit-0", "RootMismatchError", root1=flip(root(SIZE1), 0))
    add("modified-root2-bit-0", "RootMismatchError", root2=flip(root(SIZE2), 0))
    add("trailing-garbage", "ProofLengthError", proof=[*valid, garbage])
    add("preceding-garbage", "ProofLengthError", proof=[garbage, *valid])
    add("truncated-last", "ProofLengthError", proof=valid[:-1])
    add("empty-proof", "ProofLengthError", proof=[])
    add("short-hash-proof[1]", "ProofError", proof=[valid[0], valid[1][:40], *valid[2:]])
    add(
        "equal-sizes-different-roots", "RootMismatchError", size1=SIZE2, root1=root(SIZE1), proof=[]
    )
    return out


def main() -> None:
    for kind, vectors in (
        ("inclusion", inclusion_vectors()),
        ("consistency", consistency_vectors()),
    ):
        folder = HERE / kind
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.json"):
            stale.unlink()
        for name, vector in vectors.items():
            (folder / f"{name}.json").write_text(json.dumps(vector, indent=2) + "\n")


if __name__ == "__main__":
    main()
