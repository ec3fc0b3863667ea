"""What only the Neo4j store has: URLs and credentials, server errors, edits made in Neo4j."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lineage.errors import ConfigurationError
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.query.trace import Trace
from lineage.store.neo4j.url import parse_neo4j_url

from conftest import LedgerEnv, example_envelope, ingest_hand_built_pipeline, ledger_env, run_cli
from stores import NEO4J_URL, edit, fresh_store_url, neo4j_driver


def test_url_credentials_and_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINEAGE_NEO4J_DATABASE", raising=False)
    monkeypatch.setenv("LINEAGE_NEO4J_USER", "env-user")
    monkeypatch.setenv("LINEAGE_NEO4J_PASSWORD", "env-secret")
    target = parse_neo4j_url("neo4j+s://alice:s%40cret@db.example:7687/audit")
    assert target.auth == ("alice", "s@cret")
    assert target.driver_uri == "neo4j+s://db.example:7687" and target.database == "audit"
    assert "s@cret" not in target.display and "cret" not in target.display
    assert target.display == "neo4j+s://alice@db.example:7687/audit"
    from_env = parse_neo4j_url("bolt://localhost")
    assert from_env.auth == ("env-user", "env-secret") and from_env.database == "neo4j"
    monkeypatch.delenv("LINEAGE_NEO4J_USER")
    assert parse_neo4j_url("bolt://localhost:7687").auth is None


@pytest.mark.parametrize(
    "url", ["neo4j://", "http://host:7474", "bolt://host:notaport", "bolt://h/a/b"]
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_neo4j_url(url)


def one_line_error(*args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_an_unreachable_server_is_one_line_and_exit_2() -> None:
    line = one_line_error("verify", "--db", "bolt://127.0.0.1:9")
    assert "cannot reach Neo4j" in line and "bolt://127.0.0.1:9" in line


def test_wrong_credentials_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    neo4j_driver()
    if not os.environ.get("LINEAGE_NEO4J_USER"):
        pytest.skip("the test server runs without authentication")
    monkeypatch.setenv("LINEAGE_NEO4J_PASSWORD", "not-the-password")
    line = one_line_error("verify", "--db", NEO4J_URL)
    assert "refused the credentials" in line and "not-the-password" not in line


def test_a_missing_database_is_one_line_and_exit_2() -> None:
    neo4j_driver()
    line = one_line_error("verify", "--db", NEO4J_URL.rstrip("/") + "/nosuchdb")
    assert "no such database" in line


def test_an_empty_database_says_how_to_create_a_ledger(tmp_path: Path) -> None:
    url = fresh_store_url("neo4j", tmp_path)
    assert "lineage init" in one_line_error("verify", "--db", url)


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[LedgerEnv]:
    """22 entries in Neo4j, checkpoints at sizes 1, 2, 16 and 22."""
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        env.append([example_envelope(env.collector, n=i) for i in range(14)])
        env.append([example_envelope(env.collector, n=i) for i in range(14, 20)])
        yield env


def flip_bytes(label: str, key: str, value: int, field: str) -> None:
    """Flip one bit of a byte-array property, through the driver as a user could."""
    driver = neo4j_driver()
    match = f"MATCH (x:{label} {{{key}: $value}})"
    records, _, _ = driver.execute_query(f"{match} RETURN x.{field}", value=value)
    data = bytearray(records[0][0])
    data[len(data) // 2] ^= 0x01
    driver.execute_query(f"{match} SET x.{field} = $data", value=value, data=bytes(data))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda: flip_bytes("LedgerEntry", "idx", 6, "body"), "entry 6: "),
        (lambda: flip_bytes("TreeHash", "key", 12, "hash"), "tree node level 0 index 6: stored"),
        (lambda: flip_bytes("TreeHash", "key", 7, "hash"), "tree node level 3 index 0: stored"),
        (
            lambda: edit(
                NEO4J_URL,
                sql=[],
                cypher=[
                    "MATCH (c:Checkpoint {size: 22})"
                    " SET c.note = replace(c.note, '\n22\n', '\n23\n')"
                ],
            ),
            "checkpoint at size 22: ",
        ),
        (
            lambda: edit(NEO4J_URL, sql=[], cypher=["MATCH (e:LedgerEntry {idx: 9}) DELETE e"]),
            "entry 9: missing",
        ),
        (
            lambda: edit(NEO4J_URL, sql=[], cypher=["DROP CONSTRAINT lineage_entry_leaf"]),
            "lineage_entry_leaf is missing",
        ),
    ],
    ids=["entry byte", "leaf hash", "tree hash", "checkpoint", "middle entry", "constraint"],
)
def test_edits_made_in_neo4j_are_found(
    filled: LedgerEnv, change: Callable[[], None], expected: str
) -> None:
    assert verify_ledger(filled.ledger.store).ok
    try:
        change()
        result = run_cli("verify", "--db", filled.url)
        assert result.exit_code == 1 and expected in result.output, result.output
    finally:
        neo4j_driver().execute_query(
            "CREATE CONSTRAINT lineage_entry_leaf IF NOT EXISTS"
            " FOR (e:LedgerEntry) REQUIRE e.leaf IS UNIQUE"
        )


def test_a_snapshot_does_not_see_a_later_append(env: LedgerEnv) -> None:
    """Both stores: verify reads one consistent state while appends go on."""
    store = env.ledger.store
    with store.snapshot():
        size, latest = store.size(), store.latest_checkpoint()
        other = Ledger.open(env.url)
        try:
            other.append([("x", example_envelope(env.collector, n=99))], env.admin)
        finally:
            other.close()
        assert store.size() == size and store.latest_checkpoint() == latest
        assert [i for i, _, _ in store.iter_entries()] == list(range(size))
        assert [s for s, _ in store.checkpoints()][-1] == size
    assert store.size() == size + 1


def test_the_documented_cypher_query_shows_a_models_lineage(tmp_path: Path) -> None:
    query = (Path(__file__).parent.parent / "docker" / "model-lineage.cypher").read_text()
    doc = (Path(__file__).parent.parent / "docs" / "neo4j.md").read_text()
    assert query.strip() in doc
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        ingest_hand_built_pipeline(env)
        for model in ("model:model-a", "model:model-b", "model:model-a-ft"):
            records, _, _ = neo4j_driver().execute_query(query, model=model)
            posts = {n["id"] for r in records for n in r["path"].nodes if "Post" in n.labels}
            origins = {row.id for row in Trace(env.ledger.store, model).origins()}
            assert posts == origins and posts, model
