"""Opening a store changes nothing that is not a ledger, and a ledger on read-only media
can be verified and queried."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.ledger.log import Ledger
from lineage.ledger.seal import SEAL_META
from lineage.store import open_store

from support.cli import run_cli
from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, example_envelope
from support.stores import edit, sqlite_path


@pytest.mark.parametrize("command", [["verify"], ["checkpoint"], ["trace", "model:m"]])
def test_a_zero_byte_file_stays_a_zero_byte_file(tmp_path: Path, command: list[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run_cli(*command, "--db", f"sqlite:///{empty}")
    assert result.exit_code == 2
    assert "is empty (create a ledger with: lineage init)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert empty.read_bytes() == b"" and sorted(os.listdir(tmp_path)) == ["empty.db"]


def test_a_file_that_is_not_sqlite_is_one_line(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("not a database\n" * 100)
    before = other.read_bytes()
    result = run_cli("verify", "--db", f"sqlite:///{other}")
    assert result.exit_code == 2 and "not a SQLite database" in result.output
    assert other.read_bytes() == before


def test_init_creates_a_ledger_in_a_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "new.db"
    empty.touch()
    keys = tmp_path / "keys"
    assert run_cli("init", "--db", f"sqlite:///{empty}", "--keys-dir", str(keys)).exit_code == 0
    assert run_cli("verify", "--db", f"sqlite:///{empty}").exit_code == 0


@pytest.fixture
def read_only_ledger(
    sqlite_env: LedgerEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """A ledger in a directory nothing may be written to. The tests run as root, which
    chmod does not stop, so the store's view of the media is what is made read-only."""
    env = ingest_hand_built_pipeline(sqlite_env)
    env.ledger.close()
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(sqlite_path(env.url), media / "lineage.db")
    os.chmod(media / "lineage.db", 0o444)
    os.chmod(media, 0o555)
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and str(path).startswith(str(media)):
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    yield f"sqlite:///{media / 'lineage.db'}", env.root
    os.chmod(media, 0o755)


def test_a_ledger_on_read_only_media_can_be_verified_and_queried(
    read_only_ledger: tuple[str, Path],
) -> None:
    url, _ = read_only_ledger
    media = sqlite_path(url).parent
    before = sorted(os.listdir(media))
    for command in (
        ["verify"],
        ["trace", "model:model-a"],
        ["show", "shard:shard-a"],
        ["impact", "--post", "fb:1"],
        ["proof", "3"],
        ["checkpoint"],
        ["keys", "list"],
    ):
        result = run_cli(*command, "--db", url)
        assert result.exit_code == 0, (command, result.output)
    assert sorted(os.listdir(media)) == before


def test_writing_to_a_read_only_ledger_is_one_line(read_only_ledger: tuple[str, Path]) -> None:
    url, root = read_only_ledger
    result = run_cli(
        "erase", "--author", "fb:user:A", "--yes", "--db", url, "--keys-dir", str(root / "keys")
    )
    assert result.exit_code == 2
    assert "opened read-only" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_opening_a_read_only_ledger_through_the_library(read_only_ledger: tuple[str, Path]) -> None:
    url, _ = read_only_ledger
    ledger = Ledger.open(url)
    try:
        assert ledger.size() > 10
    finally:
        ledger.close()
    store = open_store(url, read_only=True)
    store.close()


def test_read_only_media_with_an_unmerged_write_ahead_log_is_refused(
    read_only_ledger: tuple[str, Path],
) -> None:
    """Read as it is, the file would not show the appends its -wal holds."""
    url, _ = read_only_ledger
    wal = sqlite_path(url).with_name("lineage.db-wal")
    os.chmod(wal.parent, 0o755)
    wal.write_bytes(b"\0" * 4096)
    os.chmod(wal.parent, 0o555)
    result = run_cli("verify", "--db", url)
    assert result.exit_code == 2
    assert "write-ahead log lineage.db-wal holds changes not yet in the file" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_sqlite_file_of_another_application_is_left_as_it_was(tmp_path: Path) -> None:
    """A table named meta does not make a file a ledger: it is not switched to
    write-ahead logging, and copy refuses it in one line."""
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.close()
    before = other.read_bytes()
    for command in (
        ["verify", "--db", f"sqlite:///{other}"],
        ["copy", "--from", f"sqlite:///{other}", "--to", f"sqlite:///{tmp_path / 'new.db'}"],
    ):
        result = run_cli(*command)
        assert result.exit_code == 2, result.output
        assert "is not a lineage ledger: it holds other tables" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert other.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["app.db"]


def test_a_ledger_made_in_an_existing_file_is_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared.db"
    shared.touch(mode=0o644)
    os.chmod(shared, 0o644)
    keys = str(tmp_path / "keys")
    assert run_cli("init", "--db", f"sqlite:///{shared}", "--keys-dir", keys).exit_code == 0
    assert shared.stat().st_mode & 0o777 == 0o600


def test_a_ledger_others_can_read_is_not_written_to(sqlite_env: LedgerEnv) -> None:
    """It holds subject keys; reading it (verify, trace) is still allowed."""
    sqlite_env.ledger.close()
    path = sqlite_path(sqlite_env.url)
    os.chmod(path, 0o644)
    keys = str(sqlite_env.keys.path)
    result = run_cli("keys", "new", "other", "--keys-dir", keys)
    assert result.exit_code == 0
    result = run_cli(
        "keys",
        "register",
        "other",
        "--steps",
        "collect",
        "--db",
        sqlite_env.url,
        "--keys-dir",
        keys,
    )
    assert result.exit_code == 2
    assert f"is readable by others (mode 644) but holds subject keys: chmod 600 {path}" in (
        result.output
    )
    assert run_cli("verify", "--db", sqlite_env.url).exit_code == 0


def test_verify_seal_lets_an_unsealed_ledger_append_again(sqlite_env: LedgerEnv) -> None:
    """A ledger without a seal (as written before seals) refuses appends until
    ``lineage verify --seal`` has verified the whole log and sealed its registry."""
    env = sqlite_env
    edit(env.url, sql=[f"DELETE FROM meta WHERE key = '{SEAL_META}'"], cypher=[])
    env.ledger.close()
    statements = env.root / "s.jsonl"
    statements.write_text(example_envelope(env.collector, n=1).canonical().decode() + "\n")
    args = ("--db", env.url, "--keys-dir", str(env.keys.path))
    refused = run_cli("append", str(statements), *args)
    assert refused.exit_code != 0 and "lineage verify --seal" in refused.output
    plain = run_cli("verify", "--db", env.url)
    assert plain.exit_code == 0 and "has no seal" in plain.output
    sealed = run_cli("verify", "--seal", *args)
    assert sealed.exit_code == 0 and "sealed the signer registry (2 keys)" in sealed.output
    assert run_cli("append", str(statements), *args).exit_code == 0
