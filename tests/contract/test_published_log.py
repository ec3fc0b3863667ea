"""The log published as c2sp.org/tlog-tiles (``tiles export``, ``serve --tiles``) and
followed by ``lineage monitor``, on both stores: exported and served bytes agree, exports
are incremental and never mix histories, and the monitor catches a fork, a rollback, a
split view, an edited entry and an entry the log's own keys did not authorise."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lineage.crypto.cosignature import WitnessKey, cosign
from lineage.crypto.dsse import sign_envelope
from lineage.crypto.keys import SigningKey
from lineage.crypto.note import verifier_key
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.model.predicates import LINEAGE
from lineage.model.statement import Step, make_statement
from lineage.model.times import now
from lineage.transparency.tiles import new_tiles, tiles_of

from support.cli import run_cli
from support.ledgers import LedgerEnv, example_envelope
from support.tiles import lineage_serve, static_server, url_of, write_tiles


def _grow(env: LedgerEnv, start: int, count: int) -> None:
    env.append([example_envelope(env.collector, n=n) for n in range(start, start + count)])


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _vkey(ledger: Ledger) -> str:
    return verifier_key(ledger.origin, ledger.log_public_key)


def test_export_is_incremental_and_serve_gives_the_same_bytes(
    env: LedgerEnv, tmp_path: Path
) -> None:
    out = tmp_path / "tiles"
    _grow(env, 0, 300)
    first = run_cli("tiles", "export", str(out), "--db", env.url, "--json")
    assert first.exit_code == 0, first.output
    size = env.ledger.size()
    assert json.loads(first.stdout)["files"] == len(list(tiles_of(size))) + 1
    before = {p: (out / p).stat().st_ino for p in _files(out) if p != "checkpoint"}
    _grow(env, 300, 260)
    second = json.loads(run_cli("tiles", "export", str(out), "--db", env.url, "--json").stdout)
    new_size = env.ledger.size()
    assert second == {
        "old_size": size,
        "size": new_size,
        "files": len(new_tiles(size, new_size)) + 1,
        "bytes": second["bytes"],
    }
    assert all((out / p).stat().st_ino == inode for p, inode in before.items())
    exported = _files(out)
    published = [t.path() for t in tiles_of(new_size)] + ["checkpoint"]
    assert set(exported) >= set(published)
    with lineage_serve(env.url) as url:
        for path in published:
            with urllib.request.urlopen(f"{url}/{path}") as response:
                assert response.read() == exported[path], path
        for missing in (
            "tile/0/999",
            f"tile/0/{new_size // 256:03d}.p/{new_size % 256 + 1}",
            "tile/x",
            "secrets",
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{url}/{missing}")
            assert refused.value.code == 404


def test_export_refuses_a_directory_of_another_log_or_history(
    env: LedgerEnv, tmp_path: Path
) -> None:
    out = tmp_path / "tiles"
    assert run_cli("tiles", "export", str(out), "--db", env.url).exit_code == 0
    other = Ledger.create(f"sqlite:///{tmp_path / 'other.db'}", SigningKey.generate("other"))
    fork = Ledger.create(f"sqlite:///{tmp_path / 'fork.db'}", env.admin)
    try:
        refused = run_cli("tiles", "export", str(out), "--db", other.store.url)
        assert refused.exit_code == 2 and "not a checkpoint of this log" in refused.stderr
        fork.append(
            [("f", example_envelope(env.admin, "lineage.admin", n, now())) for n in range(3)],
            env.admin,
        )
        refused = run_cli("tiles", "export", str(out), "--db", fork.store.url)
        assert refused.exit_code == 2 and "another history" in refused.stderr
    finally:
        other.close()
        fork.close()


def test_an_entry_too_large_for_an_entry_bundle_is_named(env: LedgerEnv, tmp_path: Path) -> None:
    nodes = [["Dataset", f"ds:big-{i}", {}] for i in range(2500)]
    statement = make_statement(
        [{"name": "ds:big-0", "digest": {"sha256": "0" * 64}}],
        LINEAGE,
        Step("collect", "1", "run-1"),
        now(),
        {"nodes": nodes},
    )
    env.append([sign_envelope(statement.payload(), env.collector)])
    refused = run_cli("tiles", "export", str(tmp_path / "t"), "--db", env.url)
    assert refused.exit_code == 2
    assert "tile/entries/000.p/3" in refused.stderr and "65535" in refused.stderr


def _monitor(url: str, state: Path, *options: str):  # type: ignore[no-untyped-def]
    return run_cli("monitor", url, "--state", str(state), "--json", *options)


def test_the_monitor_follows_the_served_log_from_its_tiles(env: LedgerEnv, tmp_path: Path) -> None:
    state = tmp_path / "monitor.json"
    with lineage_serve(env.url) as url:
        first = _monitor(url, state, "--log-key", _vkey(env.ledger))
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout)["entries_verified"] == env.ledger.size()
        _grow(env, 0, 270)
        second = _monitor(url, state)
        assert second.exit_code == 0, second.output
        result = json.loads(second.stdout)
        assert (result["old_size"], result["size"]) == (2, env.ledger.size())
        assert result["entries_verified"] == 270
    kept = json.loads(state.read_text())
    assert kept["size"] == env.ledger.size()


def test_the_monitor_catches_what_an_operator_with_the_log_key_could_do(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    env = sqlite_env
    _grow(env, 0, 5)
    entries = [body for _, _, body in env.ledger.entries()]
    origin, key = env.ledger.origin, env.admin
    honest, state = tmp_path / "honest", tmp_path / "state.json"
    write_tiles(honest, entries, origin, key)
    other = example_envelope(env.collector, n=99).canonical()
    unknown = example_envelope(SigningKey.generate("stranger"), n=7).canonical()
    later = example_envelope(env.collector, n=8).canonical()
    with static_server(honest) as server:
        url = url_of(server)
        assert _monitor(url, state, "--log-key", _vkey(env.ledger)).exit_code == 0
        kept = state.read_text()

        def refused(name: str, log: list[bytes]) -> str:
            directory = tmp_path / name
            write_tiles(directory, log, origin, key)
            server.root = directory
            done = _monitor(url, state)
            assert done.exit_code == 1, (name, done.output)
            assert state.read_text() == kept
            return str(done.stderr)

        fork = refused("fork", [*entries[:-1], other, later])
        assert f"entry {len(entries) - 1} is not the one verified before" in fork
        assert "split view" in refused("split", [*entries[:-1], other])
        assert "rollback" in refused("rollback", entries[:-2])
        message = refused("unauthorised", [*entries, unknown])
        assert f"entry {len(entries)}: statement signed by unknown key" in message
        edited = tmp_path / "edited"
        write_tiles(edited, [*entries, later], origin, key)
        bundle = edited / "tile" / "entries" / f"000.p/{len(entries) + 1}"
        data = bytearray(bundle.read_bytes())
        data[-5] ^= 1
        bundle.write_bytes(bytes(data))
        server.root = edited
        tampered = _monitor(url, state)
        assert tampered.exit_code == 1, tampered.output
        assert state.read_text() == kept
        server.root = tmp_path / "grown"
        write_tiles(server.root, [*entries, later], origin, key)
        grown = _monitor(url, state)
        assert grown.exit_code == 0, grown.output
    assert json.loads(state.read_text())["size"] == len(entries) + 1


def test_monitor_usage_errors(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    assert (
        "--log-key: missing"
        in run_cli("monitor", "http://127.0.0.1:1", "--state", str(state)).stderr
    )
    bad = run_cli("monitor", "file:///etc", "--state", str(state), "--log-key", "a+b+c")
    assert bad.exit_code == 2
    state.write_text("{}")
    broken = run_cli("monitor", "http://127.0.0.1:1", "--state", str(state))
    assert broken.exit_code == 2 and "not a monitor state file" in broken.stderr


def test_serve_refuses_a_public_address_without_allow_remote(env: LedgerEnv) -> None:
    refused = run_cli("serve", "--tiles", "--host", "0.0.0.0", "--db", env.url)
    assert refused.exit_code == 2 and "--allow-remote" in refused.stderr
    nothing = run_cli("serve", "--db", env.url)
    assert nothing.exit_code == 2 and "--tiles" in nothing.stderr


def test_monitor_follow_polls_until_the_log_turns_inconsistent(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    env = sqlite_env
    entries = [body for _, _, body in env.ledger.entries()]
    origin, key = env.ledger.origin, env.admin
    write_tiles(tmp_path / "honest", entries, origin, key)
    later = example_envelope(env.collector, n=1).canonical()
    with static_server(tmp_path / "honest") as server:
        command = [
            sys.executable,
            "-m",
            "lineage_cli",
            "monitor",
            url_of(server),
            "--state",
            str(tmp_path / "state.json"),
            "--log-key",
            _vkey(env.ledger),
            "--follow",
            "--interval",
            "0.2",
        ]
        follower = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert follower.stdout is not None
            assert "consistent at 2 entries" in follower.stdout.readline()
            write_tiles(tmp_path / "grown", [*entries, later], origin, key)
            server.root = tmp_path / "grown"
            assert "consistent at 3 entries (was 2)" in follower.stdout.readline()
            write_tiles(tmp_path / "rolled-back", entries, origin, key)
            server.root = tmp_path / "rolled-back"
            assert follower.wait(timeout=30) == 1
            assert follower.stderr is not None and "rollback" in follower.stderr.read()
        finally:
            follower.kill()


def test_the_monitor_applies_a_witness_policy(sqlite_env: LedgerEnv, tmp_path: Path) -> None:
    env = sqlite_env
    entries = [body for _, _, body in env.ledger.entries()]
    note = write_tiles(tmp_path / "log", entries, env.ledger.origin, env.admin)
    witness_key = SigningKey.generate("witness")
    policy = ["--witness", WitnessKey("w.example", witness_key.public).vkey()]
    state = tmp_path / "state.json"
    with static_server(tmp_path / "log") as server:
        url = url_of(server)
        bare = _monitor(url, state, "--log-key", _vkey(env.ledger), *policy)
        assert bare.exit_code == 1 and "0 of the 1 required" in bare.stderr
        assert not state.exists()
        text = checkpoint_of(note).text()
        (tmp_path / "log" / "checkpoint").write_text(
            note + cosign(text, "w.example", witness_key, 9)
        )
        cosigned = _monitor(url, state, "--log-key", _vkey(env.ledger), *policy)
    assert cosigned.exit_code == 0, cosigned.output
    assert json.loads(cosigned.stdout)["cosignatures"] == [{"witness": "w.example", "timestamp": 9}]
