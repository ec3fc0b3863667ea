"""A Neo4j server that cannot be reached, or goes away while a command runs: one error
line that says what to do, exit 2, and none of the driver's own log lines.

The commands run in a child process: in the test process pytest's own log handlers
would swallow the driver's log lines that a user sees."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import neo4j
import pytest

from lineage.errors import StoreError
from lineage.ledger.log import Ledger
from lineage.store.neo4j.store import Neo4jStore

from support.ledgers import LedgerEnv, example_envelope, ledger_env
from support.stores import NEO4J_URL, fresh_store_url
from support.tcp_proxy import cutting_proxy

_SERVER = urlsplit(NEO4J_URL)
TARGET = (_SERVER.hostname or "127.0.0.1", _SERVER.port or 7687)


@pytest.fixture
def neo4j_env(tmp_path: Path) -> Iterator[LedgerEnv]:
    """A ledger on the Neo4j test server (skipped without one)."""
    yield from ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path))


def one_error_line(*args: str) -> str:
    """Run ``lineage ARGS`` in a child process; its only output, one error line on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "lineage_cli", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.stdout == ""
    return lines[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_routing_url_is_one_line_without_driver_logs() -> None:
    """The routing driver logs "Unable to retrieve routing information" on its way to
    failing; that line never reaches stderr."""
    line = one_error_line("verify", "--db", f"neo4j://127.0.0.1:{closed_port()}")
    assert "cannot reach Neo4j" in line and "is the server running?" in line


def test_a_server_gone_while_reading_is_one_line_that_says_what_to_do(
    neo4j_env: LedgerEnv,
) -> None:
    neo4j_env.ledger.close()
    with cutting_proxy(TARGET, marker=b"{size: $size}") as proxy:
        line = one_error_line("checkpoint", "--size", "1", "--db", proxy.url)
        assert proxy.cut.is_set()
    assert "lost the connection to Neo4j" in line and "run the command again" in line


def test_a_server_gone_while_appending_is_one_line_and_writes_nothing(
    neo4j_env: LedgerEnv,
) -> None:
    size = neo4j_env.ledger.size()
    neo4j_env.ledger.close()
    batch = neo4j_env.root / "batch.jsonl"
    batch.write_bytes(example_envelope(neo4j_env.collector, n=1).canonical() + b"\n")
    keys = ["--keys-dir", str(neo4j_env.root / "keys")]
    with cutting_proxy(TARGET, marker=b"CREATE (:LedgerEntry") as proxy:
        line = one_error_line("append", str(batch), "--db", proxy.url, *keys)
        assert proxy.cut.is_set()
    assert "lost the connection to Neo4j" in line
    ledger = Ledger.open(neo4j_env.url)
    try:
        assert ledger.size() == size
    finally:
        ledger.close()


class _GoneSession:
    def close(self) -> None:
        raise neo4j.exceptions.SessionExpired("connection lost")


class _GoneDriver:
    def __init__(self, driver: neo4j.Driver) -> None:
        self.driver = driver
        self.closed = False

    def close(self) -> None:
        self.driver.close()
        self.closed = True
        raise neo4j.exceptions.ServiceUnavailable("connection lost")


def test_driver_errors_while_closing_are_store_errors_and_everything_is_closed(
    neo4j_env: LedgerEnv,
) -> None:
    store = Neo4jStore(neo4j_env.url)
    driver = _GoneDriver(store._driver)
    store._sessions.append(_GoneSession())  # type: ignore[arg-type]
    store._driver = driver  # type: ignore[assignment]
    with pytest.raises(StoreError, match="lost the connection to Neo4j"):
        store.close()
    assert driver.closed


def test_a_server_gone_while_verifying_is_not_a_failed_verification(
    neo4j_env: LedgerEnv,
) -> None:
    """A lost connection says nothing about the ledger: exit 2 and the way out, not
    "verification failed"."""
    neo4j_env.append([example_envelope(neo4j_env.collector, n=n) for n in range(5)])
    neo4j_env.ledger.close()
    with cutting_proxy(TARGET, marker=b"e.idx > $after") as proxy:
        line = one_error_line("verify", "--db", proxy.url)
        assert proxy.cut.is_set()
    assert "lost the connection to Neo4j" in line
