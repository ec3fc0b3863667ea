"""Serving tile directories over HTTP in tests, and writing a log's tiles by hand (as an
operator who holds the log key could, whatever the log's own rules say)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar

from lineage.crypto.keys import SigningKey
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.merkle.nodes import NodeId
from lineage.crypto.note import Checkpoint
from lineage.transparency.tiles import ENTRIES, entry_bundle, hash_tile, tiles_of


class _Quiet(SimpleHTTPRequestHandler):
    server: StaticServer

    def translate_path(self, path: str) -> str:
        relative = path.split("?", 1)[0].lstrip("/")
        return str(self.server.root / relative)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer(HTTPServer):
    """A static web server whose directory the test can switch (a log turning evil)."""

    root: Path


S = TypeVar("S", bound=HTTPServer)


@contextmanager
def running(server: S) -> Iterator[S]:
    """``server`` answering on a background thread for the ``with`` block, then closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def static_server(root: Path) -> Iterator[StaticServer]:
    """Serve ``root`` on 127.0.0.1 (any free port) for the ``with`` block."""
    server = StaticServer(("127.0.0.1", 0), partial(_Quiet))
    server.root = root
    with running(server):
        yield server


def url_of(server: HTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_port}"


def write_tiles(directory: Path, entries: list[bytes], origin: str, log_key: SigningKey) -> str:
    """Write ``entries`` as a tiled log signed by ``log_key``; returns the checkpoint."""
    tree = CompactRange()
    nodes: dict[NodeId, bytes] = {}
    for entry in entries:
        nodes.update(tree.append(leaf_hash(entry)))
    for tile in tiles_of(len(entries)):
        if tile.level == ENTRIES:
            start = tile.index * 256
            data = entry_bundle(entries[start : start + tile.width])
        else:
            data = hash_tile(tile, lambda wanted: {n: nodes[n] for n in wanted})
        path = directory / tile.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    note = Checkpoint(origin, len(entries), tree.root()).sign(log_key)
    (directory / "checkpoint").write_text(note)
    return note


@contextmanager
def lineage_serve(db: str) -> Iterator[str]:
    """``lineage serve --tiles --port 0`` in a subprocess; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_cli", "serve", "--tiles", "--port", "0", "--db", db],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
        assert found, line
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
