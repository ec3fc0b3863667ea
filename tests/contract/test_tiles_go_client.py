"""Interop with the ecosystem's own tile client: a Go program built on
filippo.io/torchwood and golang.org/x/mod/sumdb/tlog (verifiers/tiles, no code shared
with lineage) reads ``lineage serve --tiles`` over HTTP, verifies the inclusion of random
entries, the consistency of an older checkpoint, every entry bundle and the witnesses'
cosignatures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lineage.crypto.note import verifier_key
from lineage.ledger.log import Ledger
from lineage.ledger.witnesses import add_witness, remove_witness
from lineage.model.times import now

from support.go import build_go
from support.ledgers import LedgerEnv, example_envelope
from support.tiles import lineage_serve
from support.witnesses import WitnessPool


@pytest.fixture(scope="module")
def tiles_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go("tiles", "lineage-tiles-check", tmp_path_factory.mktemp("tiles-client"))


def _check(
    client: Path, url: str, ledger: Ledger, *options: str
) -> subprocess.CompletedProcess[str]:
    vkey = verifier_key(ledger.origin, ledger.log_public_key)
    return subprocess.run(
        [str(client), "-url", url, "-vkey", vkey, "-json", "-timeout", "60s", *options],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_go_tile_client_verifies_the_served_log(
    tiles_client: Path, env: LedgerEnv, tmp_path: Path
) -> None:
    env.append([example_envelope(env.collector, n=n) for n in range(300)])
    old = tmp_path / "old-checkpoint"
    old.write_text(env.ledger.latest_checkpoint() or "")
    env.append([example_envelope(env.collector, n=n) for n in range(300, 620)])
    size = env.ledger.size()
    with lineage_serve(env.url) as url:
        done = _check(
            tiles_client,
            url,
            env.ledger,
            "-n",
            "25",
            "-index",
            "0",
            "-index",
            str(size - 1),
            "-index",
            "256",
            "-old",
            str(old),
            "-all",
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["size"], result["consistentWith"], result["entries"]) == (size, 302, size)
    assert {0, 256, size - 1} <= set(result["checked"]) and len(result["checked"]) >= 25


def test_the_go_tile_client_refuses_a_fork(
    tiles_client: Path, env: LedgerEnv, tmp_path: Path
) -> None:
    fork = Ledger.create(f"sqlite:///{tmp_path / 'fork.db'}", env.admin)
    try:
        fork.append(
            [("f", example_envelope(env.admin, "lineage.admin", n, now())) for n in range(4)],
            env.admin,
        )
        kept = tmp_path / "fork-checkpoint"
        kept.write_text(fork.latest_checkpoint() or "")
    finally:
        fork.close()
    env.append([example_envelope(env.collector, n=n) for n in range(10)])
    with lineage_serve(env.url) as url:
        done = _check(tiles_client, url, env.ledger, "-n", "3", "-old", str(kept))
    assert done.returncode == 1
    assert done.stderr.startswith("consistency:"), done.stderr


def test_the_go_tile_client_counts_the_witnesses_cosignatures(
    tiles_client: Path, env: LedgerEnv, witnesses: WitnessPool
) -> None:
    ledger = env.ledger
    witnesses.register(ledger.origin, verifier_key(ledger.origin, ledger.log_public_key))
    for witness in witnesses.witnesses:
        add_witness(ledger.store, witness.name, witness.url, witness.vkey)
    env.append([example_envelope(env.collector, n=1)])
    vkeys = [a for w in witnesses.witnesses for a in ("-witness", w.vkey)]
    with lineage_serve(env.url) as url:
        both = _check(tiles_client, url, ledger, "-n", "1", *vkeys, "-quorum", "2")
        assert both.returncode == 0, both.stderr
        assert json.loads(both.stdout)["cosignatures"] == 2
        remove_witness(ledger.store, witnesses.witnesses[1].name)
        ledger.append([("y", example_envelope(env.collector, n=3))], env.admin)
        one = _check(tiles_client, url, ledger, "-n", "1", *vkeys, "-quorum", "2")
    assert one.returncode == 1 and one.stderr.startswith("witness:"), one.stderr
