"""Independent tools accept our checkpoints and proofs.

Builds tests/interop/go, which checks a checkpoint with golang.org/x/mod's signed
notes and transparency-dev/formats, and our inclusion and consistency proofs with
transparency-dev/merkle: the code witnesses and monitors of Go's checksum
database and Sigstore run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lineage.crypto.note import verifier_key

from support.ledgers import LedgerEnv, example_envelope

GO_SOURCE = Path(__file__).parents[1] / "interop" / "go"


@pytest.fixture(scope="module")
def interop_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go toolchain not installed: the Go interop check needs `go` on PATH")
    target = tmp_path_factory.mktemp("go") / "interop"
    subprocess.run([go, "build", "-o", str(target), "."], cwd=GO_SOURCE, check=True, timeout=600)
    return target


def run_interop(
    binary: Path, env: LedgerEnv, proofs: dict[str, object]
) -> subprocess.CompletedProcess[str]:
    note = env.ledger.latest_checkpoint() or ""
    (env.root / "checkpoint").write_text(note)
    (env.root / "proofs.json").write_text(json.dumps(proofs))
    vkey = verifier_key(env.ledger.origin, env.ledger.log_public_key)
    return subprocess.run(
        [str(binary), vkey, str(env.root / "checkpoint"), str(env.root / "proofs.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def build(env: LedgerEnv) -> list[str]:
    kept = [env.ledger.latest_checkpoint() or ""]
    for start, count in ((0, 7), (7, 13), (20, 1), (21, 16)):
        env.append([example_envelope(env.collector, n=n) for n in range(start, start + count)])
        kept.append(env.ledger.latest_checkpoint() or "")
    return kept


def test_go_verifies_our_checkpoint_and_proofs(interop_binary: Path, env: LedgerEnv) -> None:
    kept = build(env)
    size = env.ledger.size()
    inclusion = []
    for index in range(size):
        proof = env.ledger.inclusion_proof(index)
        inclusion.append(
            {
                "index": index,
                "leaf_hash": proof.leaf_hash.hex(),
                "hashes": [h.hex() for h in proof.hashes],
            }
        )
    consistency = []
    for note in kept[:-1]:
        old_size = int(note.split("\n")[1])
        hashes = env.ledger.consistency_proof(old_size, size)
        consistency.append({"old_checkpoint": note, "hashes": [h.hex() for h in hashes]})
    result = run_interop(interop_binary, env, {"inclusion": inclusion, "consistency": consistency})
    assert result.returncode == 0, result.stderr
    assert f"checkpoint of size {size}, {size} inclusion and 4 consistency" in result.stdout


def test_go_rejects_a_modified_proof(interop_binary: Path, env: LedgerEnv) -> None:
    build(env)
    proof = env.ledger.inclusion_proof(5)
    hashes = [h.hex() for h in proof.hashes]
    hashes[1] = ("0" if hashes[1][0] != "0" else "1") + hashes[1][1:]
    result = run_interop(
        interop_binary,
        env,
        {
            "inclusion": [{"index": 5, "leaf_hash": proof.leaf_hash.hex(), "hashes": hashes}],
            "consistency": [],
        },
    )
    assert result.returncode == 1 and "inclusion of entry 5" in result.stderr


def test_go_rejects_a_checkpoint_signed_by_another_key(
    interop_binary: Path, env: LedgerEnv
) -> None:
    from lineage.ledger.log import checkpoint_of

    build(env)
    forged = checkpoint_of(env.ledger.latest_checkpoint() or "").sign(env.collector)
    (env.root / "forged").write_text(forged)
    vkey = verifier_key(env.ledger.origin, env.ledger.log_public_key)
    (env.root / "empty.json").write_text("{}")
    result = subprocess.run(
        [str(interop_binary), vkey, str(env.root / "forged"), str(env.root / "empty.json")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "checkpoint" in result.stderr
