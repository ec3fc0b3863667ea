"""Pages in a real browser: Debian's headless Chromium driven by Playwright (no browser
download), screenshots kept under tests/artifacts/ and checked to be more than blank."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, sync_playwright

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def chromium() -> str:
    """The Chromium to drive; fails (in CI) or skips (elsewhere) when there is none."""
    found = os.environ.get("LINEAGE_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    message = "no Chromium (apt-get install chromium, or run bash tools/test)"
    if os.environ.get("LINEAGE_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A fresh page in headless Chromium."""
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=args)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def screenshot(page: Page, name: str, full_page: bool = False) -> bytes:
    """A PNG of the page, also kept as tests/artifacts/NAME.png."""
    png = page.screenshot(full_page=full_page)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    return png


def distinct_colours(png: bytes) -> int:
    """How many colours an image uses (a blank page uses one or two)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    return len(colours) if colours is not None else 1 << 16


@contextmanager
def serving_pages(url: str, token: str | None = None) -> Iterator[tuple[str, list[str]]]:
    """``lineage serve --ui`` of the ledger at ``url`` on a free loopback port, in a
    thread: yields its base URL and the lines it logs."""
    import threading

    from lineage import __version__
    from lineage.ledger.log import Ledger
    from lineage.report.server import UiPages, UiServer

    ledger = Ledger.open(url)
    logged: list[str] = []
    server = UiServer(UiPages(ledger, __version__), "127.0.0.1", 0, logged.append, token)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", logged
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        ledger.close()
