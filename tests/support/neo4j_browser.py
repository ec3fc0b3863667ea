"""Neo4j Browser as the test server serves it, driven in a page of :mod:`support.pages`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from support.stores import REQUIRED, for_this_worker

BROWSER_URL = for_this_worker(
    "LINEAGE_TEST_NEO4J_BROWSER_URLS", "LINEAGE_TEST_NEO4J_BROWSER_URL", ""
)
HOW_TO_SERVE = (
    "no Neo4j Browser to test: start the server with NEO4J_AUTH and NEO4J_HTTP_PORT set"
    " (bash docker/neo4j-server start) and set LINEAGE_TEST_NEO4J_BROWSER_URL to"
    " http://127.0.0.1:PORT/browser/ (bash tools/test does both)"
)


def browser_url() -> str:
    """The Browser's URL; skips (or fails, when Neo4j is required) without one."""
    if not BROWSER_URL:
        if REQUIRED:
            pytest.fail(f"LINEAGE_REQUIRE_NEO4J=1 but {HOW_TO_SERVE}")
        pytest.skip(HOW_TO_SERVE)
    return BROWSER_URL


def log_in(page: Page, url: str, user: str, password: str) -> None:
    """Open the Browser and connect with a user name and password."""
    page.goto(url)
    page.fill("[data-testid=username]", user)
    page.fill("[data-testid=password]", password)
    page.click("[data-testid=connect]")
    page.wait_for_selector("text=Connected to Neo4j", timeout=30_000)


def run_command(page: Page, text: str) -> None:
    """Type ``text`` into the main editor and run it."""
    page.locator(".monaco-editor").first.click()
    page.keyboard.insert_text(text)
    page.click("[data-testid=editor-Run]")
