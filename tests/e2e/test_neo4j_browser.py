"""Neo4j Browser, served by docker/neo4j-server: log in with headless Chromium, run the
README's author's-reach query on a demo ledger, and look at the picture."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.graph_fixtures import ids, ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, ledger_env
from support.neo4j_browser import browser_url, log_in, run_command
from support.neo4j_docs import ROOT, models_reached, queries_of
from support.pages import browser_page, distinct_colours, screenshot
from support.stores import fresh_store_url, neo4j_auth


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[LedgerEnv]:
    """The hand-built pipeline in the Neo4j test server."""
    for env in ledger_env(tmp_path, fresh_store_url("neo4j", tmp_path)):
        yield ingest_hand_built_pipeline(env)


def test_the_browser_shows_an_authors_reach(pipeline: LedgerEnv) -> None:
    """Logged in, the README's reach query draws the author, their post and the models it
    went into, each node captioned with its kind and short id; the screenshot is kept in
    tests/artifacts/."""
    url = browser_url()
    auth = neo4j_auth()
    assert auth is not None, "the Browser is only served with authentication on"
    query = next(q for q in queries_of("reach") if q.document == "README.md")
    author = ids(pipeline)["ig:user:C"]
    models = models_reached(pipeline.ledger, author)
    assert models
    with browser_page(1400, 900) as page:
        log_in(page, url, *auth)
        run_command(page, f":param author => '{author}'")
        page.wait_for_selector(f"text={author}")
        run_command(page, query.one_line())
        nodes = page.locator("svg .node")
        nodes.first.wait_for(timeout=30_000)
        page.wait_for_timeout(2000)  # the force layout settles
        captions = [" ".join((text or "").split()) for text in nodes.all_text_contents()]
        png = screenshot(page, "neo4j-browser-reach")
    assert any(c.startswith("subject") for c in captions), captions
    assert sum(c.startswith("model") for c in captions) == len(models), captions
    assert any(c.startswith("post") for c in captions), captions
    assert distinct_colours(png) > 50, "the screenshot is (nearly) blank"


def test_the_browser_endpoint_needs_credentials() -> None:
    """The server that serves the Browser answers Cypher over HTTP only when logged in."""
    url = browser_url().split("/browser")[0] + "/db/neo4j/tx/commit"
    body = json.dumps({"statements": [{"statement": "RETURN 1"}]}).encode()
    headers = {"Content-Type": "application/json"}
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10)
    assert refused.value.code == 401
    auth = neo4j_auth()
    assert auth is not None
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    request = urllib.request.Request(url, body, {**headers, "Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.load(answer)["errors"] == []


def test_the_server_script_refuses_the_browser_without_auth(tmp_path: Path) -> None:
    """Asked for the Browser with authentication off, the script stops before starting
    anything and says what to set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEO4J_")}
    env.update(NEO4J_HTTP_PORT="7999", NEO4J_INSTANCE=str(tmp_path / "instance"))
    result = subprocess.run(
        ["bash", str(ROOT / "docker" / "neo4j-server"), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "refusing to serve Neo4j Browser with authentication off" in result.stderr
    assert "NEO4J_AUTH" in result.stderr
    assert not (tmp_path / "instance").exists()
