"""``lineage serve --ui``: the report's pages served read-only over HTTP, browsable.

Pages: a home page (what the ledger holds, a search box), search results (ids, step
names, policies, raw platform ids resolved to their pseudonyms), one page per node (an
artifact's report, a post's reach, an author's privacy report), one per step run, one
per origin's path to an artifact, and downloads of inclusion proofs, path bundles and
the checkpoint. Nothing is written; the store is read under one lock. Pages carry a
content security policy that allows no script and no request beyond this server.

On a loopback address no login is needed. Anywhere else a token is required: the
``Authorization: Bearer`` header, or ``?token=`` once (it is then kept in a cookie).
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from markupsafe import Markup, escape

from lineage.errors import InputError, LineageError
from lineage.evidence.build import path_bundle
from lineage.http_serving import QuietHTTPServer
from lineage.ledger.log import Ledger
from lineage.ledger.projection import time_us
from lineage.model.graph import DATASET, MODEL, POST, RECORD, SHARD, SUBJECT, kind_of
from lineage.model.times import format_us, parse_time
from lineage.policy.document import Policy
from lineage.policy.registry import registered_policy, registrations
from lineage.query.discovery import artifacts, search, step_runs
from lineage.query.impact import impact
from lineage.query.show import show
from lineage.query.trace import path
from lineage.report.artifact import artifact_report
from lineage.report.author import author_report
from lineage.report.drawing import path_dot, render_svg
from lineage.report.render import draw, environment, render_artifact, render_author
from lineage.transparency.serve import is_loopback

MAX_URL = 4096
LISTED = 50
MAX_QUERY_FIELDS = 16
MAX_RUNS_READ = 10_000
_COOKIE = "lineage_ui"
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HTML = "text/html; charset=utf-8"


@dataclass
class Response:
    """What a route answers."""

    body: bytes
    content_type: str = _HTML
    status: int = HTTPStatus.OK
    headers: dict[str, str] = field(default_factory=dict)


def node_link(node_id: str) -> Markup:
    """A link to a node's page."""
    return Markup('<a href="{}">{}</a>').format(_node_url(node_id), node_id)


def entry_link(entry: int) -> Markup:
    """A link to the inclusion proof of an entry."""
    return Markup('<a href="/proof/{0}" download="entry-{0}.proof.json">{0}</a>').format(entry)


class UiPages:
    """The pages of one ledger, by path and query."""

    def __init__(self, ledger: Ledger, version: str, drawings: bool = True) -> None:
        self.ledger = ledger
        self.version = version
        self.drawings = drawings
        self.env = environment()

    def answer(self, target: str) -> Response:
        """The response to a GET of ``target`` (path and query)."""
        parts = urlsplit(target)
        query = query_of(parts.query)
        route = unquote(parts.path).rstrip("/") or "/"
        if route == "/":
            return self._home()
        if route == "/search":
            return self._search(query.get("q", ""))
        if route.startswith("/node/"):
            return self._node(route.removeprefix("/node/"), query)
        if route == "/run":
            return self._run(query)
        if route == "/path":
            return self._path(_required(query, "origin"), _required(query, "to"))
        if route == "/bundle":
            return self._bundle(_required(query, "origin"), _required(query, "to"))
        if route.startswith("/proof/"):
            return self._proof(route.removeprefix("/proof/"))
        if route == "/checkpoint":
            note = self.ledger.latest_checkpoint() or ""
            return Response(note.encode(), "text/plain; charset=utf-8")
        raise LookupError(parts.path)

    def _page(self, template: str, **values: Any) -> Response:
        html = (
            self.env.get_template(template)
            .render(
                version=self.version,
                generated=format_us(time_us(datetime.now(UTC))),
                log_origin=self.ledger.origin,
                link=node_link,
                entry_link=entry_link,
                **values,
            )
            .encode()
        )
        return Response(html)

    def _home(self) -> Response:
        lists = {
            what: artifacts(self.ledger, what, LISTED) for what in ("models", "datasets", "shards")
        }
        return self._page(
            "ui_home.html.j2",
            lists=lists,
            runs=step_runs(self.ledger, LISTED),
            policies=registrations(self.ledger),
            size=self.ledger.size(),
        )

    def _search(self, text: str) -> Response:
        found = search(self.ledger, text, LISTED)
        if len(found.raw) == 1 and not found.nodes and not found.steps:
            target = found.raw[0]["id"]
            return Response(
                b"", status=HTTPStatus.SEE_OTHER, headers={"Location": _node_url(target)}
            )
        return self._page("ui_search.html.j2", found=found, query=text)

    def _node(self, node_id: str, query: dict[str, str]) -> Response:
        kind = kind_of(node_id)
        as_of = parse_time(query["as_of"], "as_of") if query.get("as_of") else None
        if kind in (MODEL, DATASET, SHARD, RECORD):
            given = query.get("policy")
            policy = policy_named_registered(self.ledger, given) if given else None
            report = artifact_report(self.ledger, node_id, policy=policy, as_of=as_of)
            html = render_artifact(
                report,
                draw(report) if self.drawings else None,
                version=self.version,
                template="ui_artifact.html.j2",
                link_id=node_link,
                extra={
                    "entry_link": entry_link,
                    "policies": registrations(self.ledger),
                    "path_url": _path_url,
                    "run_url": _run_url,
                    "policy_given": given or "",
                },
            )
            return Response(html.encode())
        if kind == SUBJECT:
            author = author_report(self.ledger, node_id, as_of=as_of)
            html = render_author(
                author, version=self.version, template="ui_author.html.j2", link_id=node_link
            )
            return Response(html.encode())
        assert kind == POST
        shown = show(self.ledger, node_id)
        reach = impact(self.ledger.store, node_id)
        return self._page(
            "ui_post.html.j2", shown=shown, reach=reach, path_url=_path_url, bundle_url=_bundle_url
        )

    def _run(self, query: dict[str, str]) -> Response:
        step, version, run = (
            _required(query, "step"),
            query.get("version", ""),
            query.get("run", ""),
        )
        rows = [
            r
            for r in step_runs(self.ledger, MAX_RUNS_READ, containing=step).rows
            if (r["step"], r["version"], r["run"]) == (step, version, run)
        ]
        if not rows:
            raise InputError(f"no step run {step} {version} ({run}) in the ledger")
        entries = range(rows[0]["first_entry"], rows[-1]["last_entry"] + 1)
        mine = {
            e
            for e, s in self.ledger.store.statements(entries).items()
            if (s.step, s.version, s.run) == (step, version, run)
        }
        dropped: dict[str, int] = {}
        for entry, reason, count in self.ledger.store.drop_counts():
            if entry in mine:
                dropped[reason] = dropped.get(reason, 0) + count
        names = {s.keyid: s.name for s in self.ledger.store.signers()}
        return self._page(
            "ui_run.html.j2",
            rows=rows,
            names=names,
            entries=sorted(mine),
            dropped=dict(sorted(dropped.items())),
            step=step,
            step_version=version,
            run=run,
        )

    def _path(self, origin: str, artifact: str) -> Response:
        hops = path(self.ledger.store, origin, artifact)
        svg = Markup(render_svg(path_dot(hops))) if self.drawings and hops else ""  # noqa: S704
        return self._page(
            "ui_path.html.j2",
            origin=origin,
            artifact=artifact,
            hops=hops,
            svg=svg,
            bundle=_bundle_url(origin, artifact),
        )

    def _bundle(self, origin: str, artifact: str) -> Response:
        bundle = path_bundle(self.ledger, origin, artifact)
        name = f"{origin.replace(':', '-')}-to-{artifact.replace(':', '-')}.bundle.json"
        body = json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        return Response(
            body,
            "application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _proof(self, text: str) -> Response:
        if not text.isdigit() or len(text) > 15:
            raise InputError(f"{text[:40]!r} is not an entry number")
        size = self.ledger.size()
        if int(text) >= size:
            raise InputError(f"no entry {text}: the log has {size:,}")
        proof = self.ledger.inclusion_proof(int(text))
        body = json.dumps(proof.to_json(), sort_keys=True, indent=2).encode() + b"\n"
        return Response(body, "application/json")


def policy_named_registered(ledger: Ledger, given: str) -> Policy:
    """The registered policy ``given`` names: a page never makes the server read a file."""
    return registered_policy(ledger, given)[0]


def query_of(text: str) -> dict[str, str]:
    """The fields of a query string (the last value of each); :class:`InputError` past
    ``MAX_QUERY_FIELDS`` fields."""
    try:
        fields = parse_qs(text, max_num_fields=MAX_QUERY_FIELDS)
    except ValueError as error:
        raise InputError(f"at most {MAX_QUERY_FIELDS} query fields") from error
    return {name: values[-1] for name, values in fields.items()}


def _required(query: dict[str, str], name: str) -> str:
    value = query.get(name, "")
    if not value:
        raise InputError(f"the page needs ?{name}=")
    return value


def _node_url(node_id: str) -> str:
    return "/node/" + quote(node_id, safe=":")


def _path_url(origin: str, artifact: str) -> str:
    return _origin_to("/path", origin, artifact)


def _origin_to(route: str, origin: str, artifact: str) -> str:
    return f"{route}?origin={quote(origin, safe=':')}&to={quote(artifact, safe=':')}"


def _run_url(step: str, version: str, run: str) -> str:
    return f"/run?step={quote(step)}&version={quote(version)}&run={quote(run)}"


def _bundle_url(origin: str, artifact: str) -> str:
    return _origin_to("/bundle", origin, artifact)


class UiServer(QuietHTTPServer):
    """The pages of one ledger over HTTP; ``token`` (required off loopback) guards them."""

    daemon_threads = True

    def __init__(
        self,
        pages: UiPages,
        host: str,
        port: int,
        log: Callable[[str], None],
        token: str | None = None,
    ) -> None:
        if not is_loopback(host) and not token:
            raise InputError(f"{host} is not a loopback address: serving there needs a token")
        super().__init__((host, port), _UiHandler, log)
        self.pages = pages
        self.token = token
        self.lock = threading.Lock()

    def allowed(self, header: str, cookie: str, given: str) -> bool:
        """Whether a request carrying these credentials may read the pages."""
        if not self.token:
            return True
        bearer = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""
        return any(self.is_token(p) for p in (bearer, cookie, given))

    def is_token(self, presented: str) -> bool:
        """Whether ``presented`` is the token (compared in constant time)."""
        if not self.token or not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.token.encode())


class _UiHandler(BaseHTTPRequestHandler):
    server: UiServer
    server_version = "lineage-ui"
    protocol_version = "HTTP/1.1"
    timeout = 60

    def do_GET(self) -> None:
        if len(self.path) > MAX_URL:
            self._error(HTTPStatus.REQUEST_URI_TOO_LONG, "the address is too long")
            return
        try:
            given = query_of(urlsplit(self.path).query).get("token", "")
        except InputError as error:
            self._error(HTTPStatus.BAD_REQUEST, str(error))
            return
        cookie = _cookie(self.headers.get("Cookie", ""))
        if not self.server.allowed(self.headers.get("Authorization", ""), cookie, given):
            self._error(HTTPStatus.UNAUTHORIZED, "a token is needed (?token=… or Bearer)")
            return
        try:
            with self.server.lock:
                response = self.server.pages.answer(self.path)
        except LookupError:
            self._error(HTTPStatus.NOT_FOUND, f"no page {self.path[:200]}")
            return
        except InputError as error:
            self._error(HTTPStatus.BAD_REQUEST, str(error))
            return
        except LineageError as error:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, str(error))
            return
        if self.server.is_token(given):
            response.headers["Set-Cookie"] = f"{_COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/"
        self._send(response)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _refuse_method(self) -> None:
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only: GET and HEAD only")

    def do_POST(self) -> None:
        self._refuse_method()

    def do_PUT(self) -> None:
        self._refuse_method()

    def do_DELETE(self) -> None:
        self._refuse_method()

    def do_PATCH(self) -> None:
        self._refuse_method()

    def do_OPTIONS(self) -> None:
        self._refuse_method()

    def _error(self, status: int, message: str) -> None:
        page = Markup(
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>lineage: {0}</title>"
            '<body><h1>{0}</h1><p>{1}</p><p><a href="/">home</a></p></body></html>'
        ).format(int(status), escape(message))
        self._send(Response(str(page).encode(), status=status))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        line = format % args
        target = getattr(self, "path", "")
        if target:  # the query may hold a token or a raw platform id: log the path only
            line = line.replace(target, urlsplit(target).path)
        self.server.log(f"{self.address_string()} {line}")


def _cookie(header: str) -> str:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == _COOKIE:
            return value
    return ""
