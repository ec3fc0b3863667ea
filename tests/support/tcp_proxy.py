"""A TCP proxy in front of a server that can play the server going away mid-command."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class CuttingProxy:
    """Forwards connections to ``target``; once a client sends bytes containing ``marker``
    (a query's text, say), it drops every connection and stops listening, as a server
    that stopped would, and never forwards those bytes."""

    def __init__(self, target: tuple[str, int], marker: bytes | None = None) -> None:
        self.target = target
        self.marker = marker
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """The bolt URL of the proxy."""
        return f"bolt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.cut.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        marker = self.marker if from_client else None
        seen = b""
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if marker is not None:
                    seen = seen[-len(marker) :] + data
                    if marker in seen:
                        self.stop()
                        return
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        """Drop every connection and stop listening."""
        self.cut.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


@contextlib.contextmanager
def cutting_proxy(target: tuple[str, int], marker: bytes | None = None) -> Iterator[CuttingProxy]:
    """A :class:`CuttingProxy` for the ``with`` block, stopped after it."""
    proxy = CuttingProxy(target, marker)
    try:
        yield proxy
    finally:
        proxy.stop()
