"""``lineage serve`` (tiles) and ``serve --ui`` (pages), on every store: a client that
resets or closes its connection before, during or after its request ends that request
quietly (nothing on stderr, where the standard library printed a traceback) and the
server goes on answering; a request that fails inside the server is one logged line that
names the error's type, never its text (which could quote a token)."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.request import urlopen

import pytest

from lineage import __version__
from lineage.http_serving import QuietHTTPServer
from lineage.report.server import UiPages, UiServer
from lineage.transparency.serve import TileServer

from support.ledgers import LedgerEnv
from support.tiles import running, url_of

GONE_AT = [
    b"",
    b"GET /checkpoint HTTP/1.1\r\nHo",
    b"GET /checkpoint HTTP/1.1\r\nHost: x\r\n\r\n",
]
"""What the client sends before it resets: nothing, half a request, a whole request."""


@contextmanager
def serving(kind: str, env: LedgerEnv, logged: list[str]) -> Iterator[QuietHTTPServer]:
    server: QuietHTTPServer
    if kind == "tiles":
        server = TileServer(env.ledger, "127.0.0.1", 0, logged.append)
    else:
        server = UiServer(
            UiPages(env.ledger, __version__, drawings=False), "127.0.0.1", 0, logged.append
        )
    with running(server):
        yield server


def reset_after(address: tuple[str, int], sent: bytes) -> None:
    client = socket.create_connection(address, timeout=10)
    client.sendall(sent)
    time.sleep(0.05)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


@pytest.mark.parametrize("kind", ["tiles", "ui"])
def test_a_client_that_resets_is_not_an_error_and_the_server_goes_on(
    env: LedgerEnv, kind: str, capfd: pytest.CaptureFixture[str]
) -> None:
    logged: list[str] = []
    with serving(kind, env, logged) as server:
        address = ("127.0.0.1", server.server_port)
        for sent in GONE_AT:
            reset_after(address, sent)
        time.sleep(0.2)
        assert urlopen(f"{url_of(server)}/checkpoint", timeout=30).status == 200
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Connection" not in captured.err, captured.err
    assert not [line for line in logged if "failed" in line], logged


def test_a_request_that_fails_in_the_server_is_one_logged_line(
    env: LedgerEnv, capfd: pytest.CaptureFixture[str]
) -> None:
    logged: list[str] = []
    with serving("tiles", env, logged) as server:
        try:
            raise RuntimeError("/?token=secret-token-0123456789")
        except RuntimeError:
            server.handle_error(None, ("127.0.0.1", 5))
    assert logged == ["127.0.0.1 request failed: RuntimeError"]
    assert capfd.readouterr().err == ""
