"""Shared fixtures: a fresh ledger on each store, keys, signed statements.

Store-dependent tests take ``store_url`` (or ``env``, built on it) and run once per
store: SQLite in a temporary directory, and the Neo4j server at
``LINEAGE_TEST_NEO4J_URL`` (default ``bolt://127.0.0.1:7687``, credentials from
``LINEAGE_NEO4J_USER`` / ``LINEAGE_NEO4J_PASSWORD``), emptied before each test.
Without a server the Neo4j runs skip, unless ``LINEAGE_REQUIRE_NEO4J=1`` (set by
``tools/test``, which starts one): then they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lineage.crypto.dsse import Envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory, SigningKey
from lineage.ledger.log import Ledger
from lineage.model.signer import registration_fields
from lineage.model.statement import ADMIN_STEP, KEY_REGISTRATION, Step, make_statement
from lineage.model.times import now

from stores import STORES, fresh_store_url

EXAMPLE_TYPE = "https://lineage.dev/Example/v1"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def example_envelope(
    key: SigningKey, step: str = "collect", n: int = 0, time: datetime = T0
) -> Envelope:
    statement = make_statement(
        [{"name": f"post:{n}", "digest": {"sha256": f"{n:064x}"}}],
        EXAMPLE_TYPE,
        Step(step, "1", "run-1"),
        time,
        {"n": n},
    )
    return sign_envelope(statement.payload(), key)


def registration_envelope(
    admin: SigningKey,
    key: SigningKey,
    steps: list[str],
    valid_from: datetime = T0,
    valid_until: datetime | None = None,
) -> Envelope:
    statement = make_statement(
        [{"name": f"key:{key.keyid}", "digest": {"sha256": key.keyid}}],
        KEY_REGISTRATION,
        Step(ADMIN_STEP),
        now(),
        registration_fields(key.name, key.public, steps, valid_from, valid_until),
    )
    return sign_envelope(statement.payload(), admin)


@dataclass
class LedgerEnv:
    root: Path
    url: str
    keys: KeyDirectory
    admin: SigningKey
    collector: SigningKey
    ledger: Ledger

    def append(self, envelopes: list[Envelope]) -> None:
        self.ledger.append([(f"test:{i}", e) for i, e in enumerate(envelopes)], self.admin)


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store of each kind."""
    return fresh_store_url(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return fresh_store_url("sqlite", tmp_path)


def ledger_env(tmp_path: Path, url: str) -> Iterator[LedgerEnv]:
    keys = KeyDirectory(tmp_path / "keys")
    admin = keys.create("admin")
    collector = keys.create("collector")
    ledger = Ledger.create(url, admin)
    ledger.append([("reg", registration_envelope(admin, collector, ["collect"]))], admin)
    yield LedgerEnv(tmp_path, url, keys, admin, collector, ledger)
    ledger.close()


@pytest.fixture
def env(tmp_path: Path, store_url: str) -> Iterator[LedgerEnv]:
    """A ledger (on each store) with the admin key and a ``collector`` key registered
    for ``collect``."""
    yield from ledger_env(tmp_path, store_url)


@pytest.fixture
def sqlite_env(tmp_path: Path, sqlite_url: str) -> Iterator[LedgerEnv]:
    """As ``env``, on SQLite only: for tests that edit the file underneath."""
    yield from ledger_env(tmp_path, sqlite_url)


def run_cli(*args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    """Run the CLI in-process (Typer's CliRunner); returns the click Result."""
    from typer.testing import CliRunner

    from lineage_cli.main import app

    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)


def ingest_hand_built_pipeline(env: LedgerEnv) -> LedgerEnv:
    """Ingest the hand-built pipeline of :mod:`graph_fixtures` into ``env``'s ledger."""
    from lineage.ingest.events import ingest
    from lineage.ingest.pipeline import Lineage

    from graph_fixtures import setup_signers, write_events

    env.ledger.close()
    setup_signers(env.url, env.keys)
    events = write_events(env.root / "events.jsonl")
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage, events.open("rb") as f:
        ingest(lineage, f, "events.jsonl")
    env.ledger = Ledger.open(env.url)
    return env


@pytest.fixture
def graph(env: LedgerEnv) -> LedgerEnv:
    """The hand-built pipeline (5 posts, 3 authors, 2 shards, 2 datasets, 3 models), on
    each store."""
    return ingest_hand_built_pipeline(env)
