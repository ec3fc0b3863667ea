"""Shared fixtures: a fresh ledger on each store, keys, signed statements.

Store-dependent tests take ``store_url`` (or ``env``, built on it) and run once per
store: SQLite and the lake in a temporary directory, and the Neo4j server at
``LINEAGE_TEST_NEO4J_URL`` (default ``bolt://127.0.0.1:7687``, credentials from
``LINEAGE_NEO4J_USER`` / ``LINEAGE_NEO4J_PASSWORD``), emptied before each test; under
pytest-xdist each worker takes its own server from ``LINEAGE_TEST_NEO4J_URLS``.
Without a server the Neo4j runs skip, unless ``LINEAGE_REQUIRE_NEO4J=1`` (set by
``tools/test``, which starts one): then they fail.

Only fixtures (and the lake's deselection below) live here; the helpers they use are in
:mod:`support`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.go import build_go
from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, ledger_env
from support.stores import STORES, fresh_store_url
from support.witnesses import WitnessPool, witness_pool

LOG_ONLY_MODULES = frozenset(
    {
        "test_witnesses.py",
        "test_witnessed_bundles.py",
        "test_hostile_peers.py",
        "test_published_log.py",
        "test_tiles_go_client.py",
        "test_interop_go.py",
        "test_cli_hardening.py",
        "test_servers_client_gone.py",
    }
)
"""Modules about the log half (witnesses, tiles, served logs, evidence printed for the Go
verifier) or the CLI's plumbing. The lake's log half is the SQLite store's own code (the
lake store extends it), so these run on SQLite and Neo4j only."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the lake runs of :data:`LOG_ONLY_MODULES` (deselected, not skipped)."""
    kept, left_out = [], []
    for item in items:
        lake_run = "[lake" in item.nodeid or "-lake" in item.nodeid
        (left_out if lake_run and item.path.name in LOG_ONLY_MODULES else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each kind."""
    return fresh_store_url(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return fresh_store_url("sqlite", tmp_path)


@pytest.fixture
def env(tmp_path: Path, store_url: str) -> Iterator[LedgerEnv]:
    """A ledger (on each store) with the admin key and a ``collector`` key registered
    for ``collect``."""
    yield from ledger_env(tmp_path, store_url)


@pytest.fixture
def sqlite_env(tmp_path: Path, sqlite_url: str) -> Iterator[LedgerEnv]:
    """As ``env``, on SQLite only: for tests that edit the file underneath."""
    yield from ledger_env(tmp_path, sqlite_url)


@pytest.fixture
def graph(env: LedgerEnv) -> LedgerEnv:
    """The hand-built pipeline (5 posts, 3 authors, 2 shards, 2 datasets, 3 models), on
    each store."""
    return ingest_hand_built_pipeline(env)


@pytest.fixture(scope="session")
def witnesses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WitnessPool]:
    """Two real witnesses (litewitness) on loopback, shared by the session: each test
    registers its own log (a fresh key, so a fresh origin) with them."""
    yield from witness_pool(tmp_path_factory.mktemp("witness-pool"))


@pytest.fixture(scope="session")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The independent Go bundle verifier (verifiers/go), built once a session."""
    return build_go("go", "lineage-verify-bundle", tmp_path_factory.mktemp("go-verifier"))
