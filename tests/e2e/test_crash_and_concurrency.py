"""kill -9 during a long append leaves the previous checkpoint; concurrent appends serialise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger

from support.ledgers import LedgerEnv, example_envelope


def write_batch(path: Path, env: LedgerEnv, start: int, count: int) -> None:
    with path.open("w") as handle:
        for n in range(start, start + count):
            handle.write(example_envelope(env.collector, n=n).canonical().decode() + "\n")


def lineage(env: LedgerEnv, *args: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "LINEAGE_DB": env.url, "LINEAGE_KEYS_DIR": str(env.root / "keys")}
    return subprocess.Popen(
        [sys.executable, "-m", "lineage_cli", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_kill_9_during_a_long_append_then_verify_and_rerun(env: LedgerEnv) -> None:
    big = env.root / "big.jsonl"
    count = 30_000
    write_batch(big, env, 0, count)
    env.ledger.close()
    base = 2
    for delay in (0.5, 1.0, 1.6):
        process = lineage(env, "append", str(big))
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the append ended before the kill"
        ledger = Ledger.open(env.url)
        try:
            report = verify_ledger(ledger.store)
            assert report.ok, report.problems
            assert report.size == base, report.size
        finally:
            ledger.close()
    process = lineage(env, "append", str(big))
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    ledger = Ledger.open(env.url)
    try:
        report = verify_ledger(ledger.store)
        assert report.ok and report.size == base + count
    finally:
        ledger.close()


def test_two_processes_appending_at_once_both_succeed(env: LedgerEnv) -> None:
    first, second = env.root / "a.jsonl", env.root / "b.jsonl"
    write_batch(first, env, 0, 1500)
    write_batch(second, env, 1500, 1500)
    env.ledger.close()
    processes = [lineage(env, "append", str(first)), lineage(env, "append", str(second))]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
    ledger = Ledger.open(env.url)
    try:
        report = verify_ledger(ledger.store)
        assert report.ok, report.problems
        assert report.size == 2 + 3000
        assert report.checkpoints_checked == 2 + 2
    finally:
        ledger.close()
