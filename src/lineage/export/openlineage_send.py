"""Sending OpenLineage events to an HTTP endpoint (Marquez, or any OpenLineage receiver)
through the OpenLineage client's own HTTP transport: ``POST {url}/api/v1/lineage``, one
event per request, with an API key as a Bearer token if one is given (never logged)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from openlineage.client.event_v2 import RunEvent
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpConfig,
    HttpTransport,
    TokenProvider,
)

from lineage.errors import DeliveryError, InputError
from lineage.model.openlineage_facet import MAX_TIMEOUT

RETRIES = 2
"""Retries of a request that failed to connect or got a 5xx answer (with backoff)."""


class _PostOnlyHere(requests.Session):
    """A session that never follows a redirect (a 302 would turn the POST into a GET
    that "succeeds" with nothing delivered; a 307 would deliver to a host the user did not
    name) and never reads an answer's body (its size is the server's choice; only the
    status is used)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Send one request, without following redirects or reading the body."""
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        return super().request(*args, **kwargs)


def check_url(url: str) -> None:
    """Refuse ``url`` unless it is an http:// or https:// URL requests can send to; the
    message never repeats the URL (it may carry a password)."""
    if not url.startswith(("http://", "https://")) or len(url) > 2000:
        raise InputError("must be an http:// or https:// URL", field="--url")
    try:
        requests.Request("POST", url).prepare()
        parts = urlsplit(url)
        valid = bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except (requests.RequestException, ValueError):
        valid = False
    if not valid:
        raise InputError("not a URL with a valid host and port", field="--url")


def shown_url(url: str) -> str:
    """``url`` as messages show it: without user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def send_events(
    events: Sequence[RunEvent],
    url: str,
    *,
    timeout: float = 10.0,
    api_key: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """POST every event to the OpenLineage endpoint at ``url``, in order; the first that
    fails raises :class:`DeliveryError` naming it (those before it were delivered)."""
    check_url(url)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise InputError(
            f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds", field="--timeout"
        )
    auth = ApiKeyTokenProvider({"apiKey": api_key}) if api_key else TokenProvider({})
    config = HttpConfig(
        url=url, timeout=timeout, auth=auth, retry={"total": RETRIES}, session=_PostOnlyHere()
    )
    transport = HttpTransport(config)
    shown = shown_url(url)
    try:
        for number, event in enumerate(events, 1):
            try:
                answer = transport.emit(event)
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else "?"
                raise DeliveryError(
                    f"{shown}: event {number} of {len(events)} refused (HTTP {status})"
                ) from None
            except requests.RequestException as exc:
                raise DeliveryError(
                    f"{shown}: event {number} of {len(events)} not delivered ({type(exc).__name__})"
                ) from None
            if not 200 <= answer.status_code < 300:
                raise DeliveryError(
                    f"{shown}: event {number} of {len(events)} not accepted (HTTP"
                    f" {answer.status_code}; redirects are not followed: give the final URL)"
                )
            if progress is not None:
                progress(1)
    finally:
        transport.close(timeout)
