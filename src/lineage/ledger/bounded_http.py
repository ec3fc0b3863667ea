"""One HTTP exchange with a deadline and a size limit: what the log sends its witnesses
and what a monitor reads from a published log.

``urlopen``'s timeout applies to each socket read, so a server that answers one byte at
a time is never cut off; the exchange runs on a worker thread and the caller stops
waiting at the deadline (the abandoned thread ends with its own socket timeout).
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an http:// or https:// URL with a host, of bounded length (the
    only URLs lineage sends requests to)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= MAX_URL_LENGTH


class ExchangeError(Exception):
    """No complete answer: unreachable, too slow, too large, or not HTTP."""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, body (gzip already undone) and content type."""

    status: int
    body: bytes
    content_type: str


def exchange(request: urllib.request.Request, timeout: float, limit: int) -> Reply:
    """Send ``request``; the whole answer within ``timeout`` seconds and ``limit`` bytes
    (after gzip), any status; :class:`ExchangeError` otherwise."""
    outcome: list[Reply | ExchangeError] = []

    def run() -> None:
        try:
            outcome.append(_exchange(request, timeout, limit))
        except ExchangeError as exc:
            outcome.append(exc)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            outcome.append(ExchangeError(str(getattr(exc, "reason", exc)) or type(exc).__name__))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise ExchangeError(f"no complete answer within {timeout:g} s")
    result = outcome[0]
    if isinstance(result, ExchangeError):
        raise result
    return result


def _exchange(request: urllib.request.Request, timeout: float, limit: int) -> Reply:
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (callers check the scheme)
    except urllib.error.HTTPError as refused:
        response = refused
    with response:
        body = response.read(limit + 1)
        if len(body) > limit:
            raise ExchangeError(f"an answer larger than {limit} bytes")
        if response.headers.get("Content-Encoding") == "gzip":
            body = _gunzip(body, limit)
        status = int(getattr(response, "status", None) or response.getcode() or 0)
        return Reply(status, body, response.headers.get("Content-Type", ""))


def _gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ExchangeError(f"a gzip body that does not inflate ({exc})") from exc
    if len(plain) > limit or not inflater.eof:
        raise ExchangeError(f"a gzip body larger than {limit} bytes, or truncated")
    return plain
