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

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.encoding import b64
from lineage.crypto.note import verifier_key

from support.cli import run_cli
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
                "leaf_hash": b64(proof.leaf_hash),
                "hashes": [b64(h) for h in proof.hashes],
            }
        )
    consistency = []
    for note in kept[:-1]:
        old_size = int(note.split("\n")[1])
        hashes = env.ledger.consistency_proof(old_size, size)
        consistency.append({"old_checkpoint": note, "hashes": [b64(h) for h in hashes]})
    result = run_interop(interop_binary, env, {"inclusion": inclusion, "consistency": consistency})
    assert result.returncode == 0, result.stderr
    assert f"checkpoint of size {size}, {size} inclusion and 4 consistency" in result.stdout


def test_go_rejects_a_modified_proof(interop_binary: Path, env: LedgerEnv) -> None:
    build(env)
    proof = env.ledger.inclusion_proof(5)
    hashes = [b64(h) for h in proof.hashes]
    hashes[1] = b64(bytes([proof.hashes[1][0] ^ 1]) + proof.hashes[1][1:])
    result = run_interop(
        interop_binary,
        env,
        {
            "inclusion": [{"index": 5, "leaf_hash": b64(proof.leaf_hash), "hashes": hashes}],
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


def _cli_json(*args: str) -> dict[str, object]:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_go_verifies_the_evidence_the_cli_prints(interop_binary: Path, env: LedgerEnv) -> None:
    """`lineage entry`, `proof [--size]` and `consistency` as printed, checked by Go: each
    entry's bytes hash to the proven leaf, at the latest and at every earlier checkpoint,
    and every checkpoint is consistent with every later one."""
    kept = build(env)
    sizes = [int(note.split("\n")[1]) for note in kept]
    db = ("--db", env.url)
    inclusion = []
    for index in range(sizes[-1]):
        raw = run_cli("entry", str(index), *db)
        assert raw.exit_code == 0 and raw.stdout_bytes.endswith(b"}\n"), raw.output
        for size in {*[s for s in sizes if s > index][:2], sizes[-1]}:
            proof = _cli_json("proof", str(index), "--size", str(size), *db)
            inclusion.append({**proof, "entry": b64(raw.stdout_bytes[:-1])})
    consistency = [
        _cli_json("consistency", str(old), str(new), *db)
        for position, old in enumerate(sizes)
        for new in sizes[position:]
    ]
    result = run_interop(interop_binary, env, {"inclusion": inclusion, "consistency": consistency})
    assert result.returncode == 0, result.stderr
    assert f"{len(inclusion)} inclusion and {len(consistency)} consistency" in result.stdout


def test_an_entry_as_json_is_the_same_envelope(env: LedgerEnv) -> None:
    build(env)
    db = ("--db", env.url)
    raw = run_cli("entry", "3", *db).stdout_bytes.rstrip(b"\n")
    entry = _cli_json("entry", "3", *db)
    assert entry["index"] == 3 and canonical_bytes(entry["envelope"]) == raw
    assert entry["leaf_hash"] == _cli_json("proof", "3", *db)["leaf_hash"]
    for bad, problem in (("99999", "entry 99999 does not exist"), ("-1", "-1")):
        result = run_cli("entry", bad, *db)
        assert result.exit_code == 2 and problem in result.output
    for args, problem in (
        (["proof", "1", "--size", "3"], "no checkpoint of size 3"),
        (["consistency", "22", "9"], "give the older checkpoint first"),
        (["consistency", "5"], "no checkpoint of size 5"),
    ):
        result = run_cli(*args, *db)
        assert result.exit_code == 2 and problem in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
