"""Bundles carry the cosigned checkpoint: ``lineage verify-bundle`` and the independent Go
verifier both apply a witness policy to it, and agree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.cosignature import WitnessKey, parse_witness_key
from lineage.crypto.keys import SigningKey
from lineage.crypto.note import verifier_key
from lineage.evidence.build import path_bundle
from lineage.ledger.witnesses import add_witness, sync_witnesses

from support.cli import run_cli
from support.graph_fixtures import ids
from support.ledgers import LedgerEnv
from support.witnesses import WitnessPool


def test_both_verifiers_apply_the_witness_quorum_to_a_bundle(
    graph: LedgerEnv, witnesses: WitnessPool, go_verifier: Path, tmp_path: Path
) -> None:
    ledger = graph.ledger
    witnesses.register(ledger.origin, verifier_key(ledger.origin, ledger.log_public_key))
    for witness in witnesses.witnesses:
        add_witness(ledger.store, witness.name, witness.url, witness.vkey)
    assert {w.status for w in sync_witnesses(ledger.store)} == {"cosigned"}
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(canonical_bytes(path_bundle(ledger, ids(graph)["fb:1"], "model:model-a")))
    first, second = (w.vkey for w in witnesses.witnesses)
    absent = WitnessKey("absent.example", SigningKey.generate("absent").public).vkey()
    for given, quorum, proven in [
        ([], None, True),
        ([first, second], None, True),
        ([first, absent], 1, True),
        ([first, absent], 2, False),
        ([absent], None, False),
    ]:
        options = [a for vkey in given for a in ("--witness", vkey)]
        options += ["--quorum", str(quorum)] if quorum is not None else []
        ours = run_cli("verify-bundle", str(bundle), "--json", *options)
        theirs = subprocess.run(
            [str(go_verifier), *options, str(bundle)], capture_output=True, text=True, timeout=60
        )
        assert ours.exit_code == theirs.returncode == (0 if proven else 1), (given, quorum)
        report = json.loads(ours.stdout)
        if proven:
            assert len(report.get("cosignatures", [])) == len([v for v in given if v != absent])
        else:
            assert report["failure"]["class"] == "witness"
            assert theirs.stdout.startswith("NOT PROVEN: witness at log:"), theirs.stdout
    alias = WitnessKey("alias.example", parse_witness_key(first).public).vkey()
    doubled = ["--witness", first, "--witness", alias, "--quorum", "2"]
    ours = run_cli("verify-bundle", str(bundle), *doubled)
    theirs = subprocess.run(
        [str(go_verifier), *doubled, str(bundle)], capture_output=True, text=True, timeout=60
    )
    assert ours.exit_code == theirs.returncode == 2
    assert "share one key" in ours.stderr and "share the key" in theirs.stderr
