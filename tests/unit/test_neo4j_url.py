"""Neo4j store URLs: credentials, database, display form, malformed URLs."""

from __future__ import annotations

import pytest

from lineage.errors import ConfigurationError
from lineage.store.neo4j.url import parse_neo4j_url


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
