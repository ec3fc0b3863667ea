"""Witness cosigning against real witnesses (litewitness, c2sp.org/tlog-witness): each
append is cosigned; a fork and a rollback are refused and the refusal surfaces; an
unreachable witness never blocks an append; verification applies a quorum."""

from __future__ import annotations

import json
import socket
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from lineage.crypto.cosignature import WitnessKey, WitnessPolicy
from lineage.crypto.keys import SigningKey
from lineage.crypto.note import verifier_key
from lineage.errors import CheckpointError
from lineage.ledger.log import Ledger
from lineage.ledger.witnesses import add_witness, load_witnesses, sync_witnesses
from lineage.model.times import now

from support.cli import run_cli
from support.ledgers import LedgerEnv, example_envelope
from support.witnesses import WitnessPool


def _witnessed(env: LedgerEnv, pool: WitnessPool, ledger: Ledger | None = None) -> Ledger:
    """Register the ledger's log with the pool and the pool's witnesses with the ledger."""
    ledger = ledger or env.ledger
    pool.register(ledger.origin, verifier_key(ledger.origin, ledger.log_public_key))
    for witness in pool.witnesses:
        add_witness(ledger.store, witness.name, witness.url, witness.vkey)
    return ledger


def _append(env: LedgerEnv, ledger: Ledger, n: int):  # type: ignore[no-untyped-def]
    return ledger.append([(f"test:{n}", example_envelope(env.collector, n=n))], env.admin)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (what a backup tool would take)."""
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    target.chmod(0o600)


def _vkeys(pool: WitnessPool) -> list[str]:
    return [w.vkey for w in pool.witnesses]


def test_each_append_is_cosigned_and_the_checkpoint_carries_the_cosignatures(
    env: LedgerEnv, witnesses: WitnessPool
) -> None:
    ledger = _witnessed(env, witnesses)
    for n in range(3):
        result = _append(env, ledger, n)
        assert [(w.status, w.size) for w in result.witnesses] == [("cosigned", result.size)] * 2
    cosigned = ledger.latest_checkpoint() or ""
    note = result.checkpoint or ""
    policy = WitnessPolicy.of(_vkeys(witnesses), None)
    assert policy is not None
    counted = policy.check(cosigned)
    assert sorted(c.witness for c in counted) == sorted(w.name for w in witnesses.witnesses)
    assert all(c.timestamp > 1_700_000_000 for c in counted)
    printed = run_cli("checkpoint", "--db", env.url)
    assert printed.exit_code == 0 and printed.stdout == cosigned
    assert cosigned.startswith(note) and cosigned.count("\u2014 ") == 3
    earlier = run_cli("checkpoint", "--size", str(result.size - 1), "--db", env.url).stdout
    assert len(policy.check(earlier)) == 2
    sync_witnesses(ledger.store)
    again = ledger.latest_checkpoint() or ""
    assert again.count("\u2014 ") == 3 and len(policy.check(again)) == 2
    assert run_cli("verify", "--db", env.url).exit_code == 0


def test_the_witness_quorum_decides_whether_the_checkpoint_counts(
    env: LedgerEnv, witnesses: WitnessPool
) -> None:
    ledger = _witnessed(env, witnesses)
    _append(env, ledger, 1)
    first, second = _vkeys(witnesses)
    absent = WitnessKey("absent.example", SigningKey.generate("absent").public).vkey()
    for given, quorum, ok in [
        ([], 0, True),
        ([first], 1, True),
        ([first, second], 2, True),
        ([first, absent], 1, True),
        ([first, absent], 2, False),
        ([first, second, absent], None, False),
        ([absent], 1, False),
    ]:
        options = [a for vkey in given for a in ("--witness", vkey)]
        options += ["--quorum", str(quorum)] if quorum is not None else []
        verified = run_cli("verify", "--db", env.url, "--json", *options)
        report = json.loads(verified.stdout)
        assert (verified.exit_code == 0) is ok, (given, quorum, verified.stdout)
        kinds = {p["kind"] for p in report["problems"]}
        assert kinds == (set() if ok else {"witness"})
        proof = run_cli("proof", "1", "--db", env.url, "--json", *options)
        assert (proof.exit_code == 0) is ok
        if ok:
            assert len(json.loads(proof.stdout)["cosignatures"]) == len(
                [v for v in given if v != absent]
            )


def test_an_unreachable_witness_does_not_block_appends_and_is_listed(
    env: LedgerEnv, witnesses: WitnessPool
) -> None:
    ledger = _witnessed(env, witnesses)
    key = WitnessKey("down.example", SigningKey.generate("down").public)
    add_witness(ledger.store, key.name, f"http://127.0.0.1:{_closed_port()}", key.vkey())
    result = _append(env, ledger, 1)
    states = {w.name: w for w in result.witnesses}
    assert states["down.example"].status == "unreachable"
    assert states["down.example"].size == 0
    assert {states[w.name].status for w in witnesses.witnesses} == {"cosigned"}
    assert ledger.size() == result.size
    listed = run_cli("witness", "list", "--db", env.url)
    assert "down.example" in listed.stdout and "unreachable, cosigned size 0" in listed.stdout
    synced = run_cli("witness", "sync", "--db", env.url)
    assert synced.exit_code == 1 and "unreachable" in synced.stdout


def test_a_fork_with_the_same_key_is_refused_and_the_refusal_surfaces(
    env: LedgerEnv, witnesses: WitnessPool, tmp_path: Path
) -> None:
    _witnessed(env, witnesses)
    _append(env, env.ledger, 1)
    fork = Ledger.create(f"sqlite:///{tmp_path / 'fork.db'}", env.admin)
    try:
        assert fork.origin == env.ledger.origin
        for witness in witnesses.witnesses:
            add_witness(fork.store, witness.name, witness.url, witness.vkey)
        result = fork.append(
            [
                ("fork", example_envelope(env.admin, step="lineage.admin", n=n, time=now()))
                for n in range(4)
            ],
            env.admin,
        )
        for state in result.witnesses:
            assert state.status == "refused"
            assert "does not extend the tree it cosigned" in (state.error or "")
        assert result.size == fork.size()
        synced = run_cli("witness", "sync", "--db", fork.store.url, "--json")
        assert synced.exit_code == 1
        assert {w["status"] for w in json.loads(synced.stdout)} == {"refused"}
        assert fork.latest_checkpoint() == result.checkpoint
    finally:
        fork.close()
    after = _append(env, env.ledger, 2)
    assert {w.status for w in after.witnesses} == {"cosigned"}


def test_a_rolled_back_log_is_refused(
    sqlite_env: LedgerEnv, witnesses: WitnessPool, tmp_path: Path
) -> None:
    env = sqlite_env
    ledger = _witnessed(env, witnesses)
    _append(env, ledger, 1)
    path = Path(env.url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup.db"
    _copy_database(path, backup)
    _append(env, ledger, 2)
    _append(env, ledger, 3)
    ledger.close()
    for leftover in path.parent.glob(path.name + "-*"):
        leftover.unlink()
    path.unlink()
    _copy_database(backup, path)
    restored = Ledger.open(env.url)
    try:
        result = _append(env, restored, 4)
        for state in result.witnesses:
            assert state.status == "refused"
            assert f"cosigned a tree of {result.size + 1} entries" in (state.error or "")
            assert "rolled back" in (state.error or "")
    finally:
        restored.close()
        env.ledger = Ledger.open(env.url)


def test_a_witness_that_does_not_know_the_log_refuses_it(
    env: LedgerEnv, witnesses: WitnessPool
) -> None:
    ledger = env.ledger
    stranger = witnesses.witnesses[0]
    add_witness(ledger.store, stranger.name, stranger.url, stranger.vkey)
    [state] = sync_witnesses(ledger.store)
    assert state.status == "refused"
    assert "does not accept this log's checkpoint signature" in (state.error or "")
    assert load_witnesses(ledger.store)[stranger.name].status == "refused"


def test_witness_registry_commands(env: LedgerEnv, witnesses: WitnessPool) -> None:
    pool = witnesses
    ledger = env.ledger
    pool.register(ledger.origin, verifier_key(ledger.origin, ledger.log_public_key))
    w = pool.witnesses[0]
    added = run_cli("witness", "add", w.name, w.url, w.vkey, "--db", env.url)
    assert added.exit_code == 0, added.output
    assert f"{w.name} {w.url}: cosigned, cosigned size {ledger.size()}" in added.stdout
    again = run_cli("witness", "add", w.name, w.url, w.vkey, "--db", env.url)
    assert again.exit_code == 2 and "already registered" in again.stderr
    wrong = run_cli("witness", "add", "other", w.url, w.vkey, "--db", env.url)
    assert wrong.exit_code == 2 and f"is for witness {w.name!r}" in wrong.stderr
    bad_url = run_cli("witness", "add", w.name + "x", "file:///etc", w.vkey, "--db", env.url)
    assert bad_url.exit_code == 2
    listed = json.loads(run_cli("witness", "list", "--db", env.url, "--json").stdout)
    assert [(x["name"], x["size"]) for x in listed] == [(w.name, ledger.size())]
    removed = run_cli("witness", "remove", w.name, "--db", env.url)
    assert removed.exit_code == 0
    assert json.loads(run_cli("witness", "list", "--db", env.url, "--json").stdout) == []
    policy = WitnessPolicy.of([w.vkey], 1)
    assert policy is not None
    assert len(policy.check(ledger.latest_checkpoint() or "")) == 1
    env.append([example_envelope(env.collector, n=5)])
    with pytest.raises(CheckpointError):
        policy.check(ledger.latest_checkpoint() or "")
