"""``lineage serve --tiles``: the log over HTTP as c2sp.org/tlog-tiles, read-only.

Tiles are made from the store on request (the same bytes ``tiles export`` writes); the
checkpoint is the latest one with the cosignatures kept for it. Only tiles inside the
latest checkpoint's tree are served, so a client never sees a tile no checkpoint covers.
Connections are kept alive and handled on threads; the store is read under one lock.
"""

from __future__ import annotations

import gzip
import ipaddress
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from itertools import islice

from lineage.errors import InputError, LineageError
from lineage.http_serving import QuietHTTPServer
from lineage.ledger.log import Ledger
from lineage.transparency.tiles import ENTRIES, contains, entry_bundle, hash_tile, parse_tile_path

_IMMUTABLE = "public, max-age=31536000, immutable"
_MUTABLE = "no-cache, max-age=5"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TileServer(QuietHTTPServer):
    """An HTTP server of one ledger's tiles."""

    def __init__(self, ledger: Ledger, host: str, port: int, log: Callable[[str], None]) -> None:
        super().__init__((host, port), _Handler, log)
        self.ledger = ledger
        self._store_lock = threading.Lock()

    def resource(self, path: str) -> tuple[bytes, str, str]:
        """The body, content type and cache policy of ``path``; InputError if there is
        no such resource."""
        with self._store_lock:
            return self._resource(path)

    def _resource(self, path: str) -> tuple[bytes, str, str]:
        latest = self.ledger.store.latest_checkpoint()
        if latest is None:
            raise InputError("the log has no checkpoint yet")
        size, note = latest
        if path == "checkpoint":
            return note.encode(), "text/plain; charset=utf-8", _MUTABLE
        tile = parse_tile_path(path)
        if not contains(tile, size):
            raise InputError(f"{path}: not in the tree of the latest checkpoint ({size})")
        if tile.level == ENTRIES:
            start = tile.index * 256
            rows = islice(self.ledger.store.iter_entries(start), tile.width)
            body = entry_bundle(entry for _, _, entry in rows)
        else:
            body = hash_tile(tile, self.ledger.store.get_nodes)
        return body, "application/octet-stream", _IMMUTABLE


class _Handler(BaseHTTPRequestHandler):
    server: TileServer
    server_version = "lineage-tiles"
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].lstrip("/")
        try:
            body, content_type, cache = self.server.resource(path)
        except InputError as exc:
            self._send(HTTPStatus.NOT_FOUND, f"{exc}\n".encode(), "text/plain", "no-store")
            return
        except LineageError as exc:
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR, f"{exc}\n".encode(), "text/plain", "no-store"
            )
            return
        gzipped = "entries" in path and "gzip" in self.headers.get("Accept-Encoding", "")
        self._send(
            HTTPStatus.OK, gzip.compress(body) if gzipped else body, content_type, cache, gzipped
        )

    def do_HEAD(self) -> None:
        self.do_GET()

    def _send(
        self, status: int, body: bytes, content_type: str, cache: str, gzipped: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        self.server.log(f"{self.address_string()} {format % args}")
