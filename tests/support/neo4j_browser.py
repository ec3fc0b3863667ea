"""Neo4j Browser driven by Playwright on Debian's Chromium, and a look at its screenshots."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page

from support.stores import REQUIRED

BROWSER_URL = os.environ.get("LINEAGE_TEST_NEO4J_BROWSER_URL", "")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
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


def chromium() -> str:
    """Debian's Chromium (Playwright downloads no browser of its own here)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("no chromium on PATH: bash tools/test installs Debian's package")
    return found


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


def png_colours(path: Path) -> int:
    """How many distinct colours an 8-bit RGB or RGBA PNG has."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels
        )
        colours.update(bytes(line[i : i + channels]) for i in range(0, stride, channels))
        previous = line
    return len(colours)


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        corner = above[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + best) & 0xFF
    return line
