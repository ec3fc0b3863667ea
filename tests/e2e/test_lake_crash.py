"""kill -9 in a lake append after its Parquet parts are written and flushed, before the
transaction that lists them commits: the ledger keeps its previous checkpoint, no read
sees the parts (they are orphans no one lists), the next append deletes them, and the
appends that follow land as if nothing had happened."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from lineage.crypto.canonical import canonical_bytes
from lineage.faults import FAULT_ENV, KILLED_EXIT
from lineage.ledger.log import Ledger
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.store.lake.parts import BLOOM_SUFFIX, PartFiles

from support.ledgers import example_envelope, ledger_env
from support.stores import fresh_store_url, sqlite_path


def _append(url: str, keys: Path, source: Path, fault: str | None = None) -> int:
    environment = {**os.environ, "LINEAGE_KEYS_DIR": str(keys)}
    environment.pop(FAULT_ENV, None)
    if fault:
        environment[FAULT_ENV] = fault
    done = subprocess.run(
        [sys.executable, "-m", "lineage_cli", "append", str(source), "--db", url, "--json"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode


def _listed(url: str) -> set[str]:
    db = sqlite3.connect(sqlite_path(url))
    try:
        return {
            r[0] for r in db.execute("SELECT file FROM parts UNION SELECT file FROM retired_parts")
        }
    finally:
        db.close()


def _unlisted(files: PartFiles, url: str) -> set[str]:
    """Files on disk (parts and their filters) of parts the ledger does not list."""
    listed = _listed(url)
    return {f for f in files.on_disk() if f.removesuffix(BLOOM_SUFFIX) not in listed}


def test_a_lake_append_killed_before_its_commit_leaves_no_visible_part(tmp_path: Path) -> None:
    url = fresh_store_url("lake", tmp_path)
    for env in ledger_env(tmp_path, url):
        env.append([example_envelope(env.collector, n=1)])
        size, checkpoint = env.ledger.size(), env.ledger.latest_checkpoint()
        collector = env.collector
    source = tmp_path / "new.jsonl"
    source.write_text(
        "".join(
            json.dumps(json.loads(canonical_bytes(example_envelope(collector, n=n).to_json())))
            + "\n"
            for n in (2, 3)
        )
    )
    files = PartFiles(sqlite_path(url).parent)

    assert _append(url, tmp_path / "keys", source, fault="lake.before-commit") == KILLED_EXIT
    orphans = _unlisted(files, url)
    assert orphans, "the killed append had written its parts"
    ledger = Ledger.open(url)
    try:
        assert (ledger.size(), ledger.latest_checkpoint()) == (size, checkpoint)
        assert ledger.store.node("ds:example-2") is None
        assert ledger.store.node("ds:example-1") is not None
        assert verify_ledger(ledger.store).ok
    finally:
        ledger.close()

    assert _append(url, tmp_path / "keys", source) == 0
    assert not orphans & set(files.on_disk())
    assert not _unlisted(files, url)
    ledger = Ledger.open(url)
    try:
        assert ledger.size() == size + 2
        assert ledger.store.node("ds:example-3") is not None
        assert verify_ledger(ledger.store).ok
    finally:
        ledger.close()


def test_verify_names_a_part_whose_bytes_changed_or_that_is_gone(tmp_path: Path) -> None:
    url = fresh_store_url("lake", tmp_path)
    for env in ledger_env(tmp_path, url):
        env.append([example_envelope(env.collector, n=n) for n in (1, 2)])
        files = PartFiles(sqlite_path(url).parent)
        first, *_ = sorted(_listed(url))
        path = files.path(first)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        report = verify_ledger(env.ledger.store)
        assert any(
            p.kind == ProblemKind.STORE_INTEGRITY and f"part {first} is not the file" in p.detail
            for p in report.problems
        )
        path.unlink()
        report = verify_ledger(env.ledger.store)
        assert any(f"part {first} is missing" in p.detail for p in report.problems)
