"""Files that hold secrets are private, and keys can be registered for a pipeline that
replays old events, then widened or narrowed by registering them again."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lineage.crypto.keys import KeyDirectory
from lineage.errors import ConfigurationError, InputError
from lineage.model.times import parse_time

from support.cli import run_cli
from support.ledgers import LedgerEnv, example_envelope
from support.stores import is_neo4j, sqlite_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_store_and_its_log_files_are_private(env: LedgerEnv) -> None:
    if is_neo4j(env.url):
        return  # Neo4j keeps its files under the server's own account
    env.append([example_envelope(env.collector, n=1)])
    path = sqlite_path(env.url)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert file.exists() and _mode(file) == 0o600, (file, oct(_mode(file)))


def test_a_keys_directory_open_to_others_is_refused(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    keys.create("admin")
    os.chmod(keys.path, 0o755)
    with pytest.raises(ConfigurationError, match=r"open to other users .*chmod 700"):
        keys.load("admin")
    with pytest.raises(ConfigurationError, match="open to other users"):
        keys.create("other")


def test_a_private_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    keys.create("admin")
    os.chmod(keys.file_for("admin"), 0o644)
    with pytest.raises(ConfigurationError, match=r"key file .* \(mode 0644\): run chmod 600"):
        keys.load("admin")


def test_an_empty_passphrase_is_an_error_not_unencrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAGE_KEY_PASSPHRASE", "")
    with pytest.raises(ConfigurationError, match="set but empty"):
        KeyDirectory(tmp_path / "keys").create("admin")
    result = run_cli("keys", "new", "admin", "--keys-dir", str(tmp_path / "k2"))
    assert result.exit_code == 2 and "set but empty" in result.output
    assert not (tmp_path / "k2" / "admin.pem").exists()


def test_a_key_registered_without_a_start_signs_backdated_statements(env: LedgerEnv) -> None:
    worker = env.keys.create("worker")
    env.ledger.register_key(env.admin, "worker", worker.public, ["collect"])
    old = datetime(2019, 3, 1, tzinfo=UTC)
    env.append([example_envelope(worker, n=1, time=old)])


def test_registering_again_widens_or_narrows_the_window(env: LedgerEnv) -> None:
    worker = env.keys.create("worker")
    until = parse_time("2024-06-01T00:00:00Z")
    env.ledger.register_key(env.admin, "worker", worker.public, ["collect"], valid_until=until)
    late = parse_time("2024-07-01T00:00:00Z")
    with pytest.raises(InputError, match="expired"):
        env.append([example_envelope(worker, n=1, time=late)])
    env.ledger.register_key(env.admin, "worker", worker.public, ["collect"])
    env.append([example_envelope(worker, n=1, time=late)])
    narrow_from = parse_time("2024-09-01T00:00:00Z")
    env.ledger.register_key(env.admin, "worker", worker.public, ["collect"], narrow_from)
    with pytest.raises(InputError, match="not yet valid"):
        env.append([example_envelope(worker, n=2, time=late)])
    signer = next(s for s in env.ledger.store.signers() if s.name == "worker")
    assert signer.valid_from == narrow_from


def test_a_revoked_key_stays_revoked_and_a_key_keeps_its_name(env: LedgerEnv) -> None:
    worker = env.keys.create("worker")
    env.ledger.register_key(env.admin, "worker", worker.public, ["collect"])
    with pytest.raises(InputError, match="is registered as 'worker'"):
        env.ledger.register_key(env.admin, "renamed", worker.public, ["collect"])
    env.ledger.revoke_key(env.admin, "worker")
    with pytest.raises(InputError, match="revoked and cannot be registered again"):
        env.ledger.register_key(env.admin, "worker", worker.public, ["collect", "clean"])
