"""The HTTP server base of ``lineage serve`` (tiles) and ``serve --ui`` (pages)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_GONE = (ConnectionError, TimeoutError)
"""A client that reset, closed or stalled its connection mid-request (ConnectionResetError,
BrokenPipeError, ConnectionAbortedError, a socket timeout)."""


class QuietHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server that reports a failed request as one line through ``log``
    instead of the standard library's traceback on stderr, and says nothing when the
    client went away: that ends its request, it is not the server's error. The line names
    the error's type only: its text could quote the request, whose query may hold the
    UI's token."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        log: Callable[[str], None],
    ) -> None:
        super().__init__(address, handler)
        self.log = log

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Called by the server inside the ``except`` of a request that raised."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, CLIENT_GONE):
            return
        host = client_address[0] if isinstance(client_address, tuple) else client_address
        self.log(f"{host} request failed: {type(error).__name__}")
