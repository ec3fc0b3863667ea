"""Adversarial review of ``lineage serve --ui`` (src/lineage/report/server.py): what a
reader who controls the address (or a hostile ledger string) can make the server do.
Each test states what should hold; those that fail are findings."""

from __future__ import annotations

import http.client
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage import __version__
from lineage.errors import InputError
from lineage.ledger.log import Ledger
from lineage.report.server import UiPages, _node_url

from support.hostile import hostile_ledger, live_markup, slashed_ledger
from support.pages import serving_pages

TOKEN = "review-token-0123456789"


@pytest.fixture(scope="module")
def slashed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    return slashed_ledger(tmp_path_factory.mktemp("slashed"))


@pytest.fixture
def pages(slashed: tuple[str, dict[str, str]]) -> Iterator[UiPages]:
    ledger = Ledger.open(slashed[0], read_only=True)
    try:
        yield UiPages(ledger, __version__, drawings=False)
    finally:
        ledger.close()


def _get(base: str, target: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    host = base.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request("GET", target, headers=headers)
    return connection.getresponse()


def test_a_token_in_the_query_cannot_inject_response_headers(
    slashed: tuple[str, dict[str, str]],
) -> None:
    """A reader already let in (Bearer or cookie) who also sends ?token=VALUE gets VALUE
    echoed into Set-Cookie unchecked: CR LF in it splits the response (a header of the
    attacker's choosing), and ``;`` adds cookie attributes (Domain=, Max-Age=). Only the
    real token, once checked, should ever be put in the cookie."""
    with serving_pages(slashed[0], TOKEN) as (base, _):
        answer = _get(
            base,
            "/?token=x%0d%0aX-Injected:%20yes%0d%0aSet-Cookie:%20evil=1",
            {"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status == 200
        assert answer.getheader("X-Injected") is None
        cookies = answer.headers.get_all("Set-Cookie") or []
        assert not any("evil=1" in c for c in cookies), cookies
        assert not any(c.startswith("lineage_ui=x") for c in cookies), cookies
        attributes = _get(
            base, "/?token=x;%20Domain=evil.example", {"Authorization": f"Bearer {TOKEN}"}
        )
        cookies = attributes.headers.get_all("Set-Cookie") or []
        assert not any("Domain=evil.example" in c for c in cookies), cookies


def test_a_token_under_a_percent_encoded_name_is_not_logged(
    slashed: tuple[str, dict[str, str]],
) -> None:
    """``?%74oken=TOKEN`` is ``?token=TOKEN`` to the server (parse_qs unquotes names) and
    lets the reader in, but the log's redaction matches the literal ``token=`` only, so
    the token is written to the log in clear."""
    with serving_pages(slashed[0], TOKEN) as (base, logged):
        answer = _get(base, f"/?%74oken={TOKEN}", {})
        answer.read()
        assert answer.status == 200
    assert logged and not any(TOKEN in line for line in logged), logged


def test_many_query_fields_are_a_400_not_a_dropped_connection(
    slashed: tuple[str, dict[str, str]],
) -> None:
    """More than 16 query fields make parse_qs raise ValueError, which no handler
    catches: the connection is dropped with no answer and a traceback goes to the
    server's stderr. It should be a 400 page like any other bad address."""
    query = "&".join(f"a{n}=1" for n in range(20))
    with serving_pages(slashed[0]) as (base, _):
        answer = _get(base, f"/?{query}", {})
        assert answer.status == 400


def test_a_page_cannot_make_the_server_read_a_file_in_its_working_directory(
    pages: UiPages, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``?policy=NAME`` is refused when it has a ``/`` or starts with ``.``, but a bare
    file name is still handed to policy_named, which reads it if it is a file in the
    server's working directory: a reader learns which files exist there and fragments of
    their parse errors, and can check against a policy that is not registered. A page
    should only ever name a registered policy."""
    (tmp_path / "secrets.toml").write_text("password hunter2\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as refused:
        pages.answer("/node/shard:s1?policy=secrets.toml")
    assert "TOML" not in str(refused.value), str(refused.value)
    assert "registered" in str(refused.value)


@pytest.mark.parametrize("which", ["dataset", "model"])
def test_a_node_whose_id_is_escaped_in_its_link_has_a_page(
    pages: UiPages, slashed: tuple[str, dict[str, str]], which: str
) -> None:
    """Node ids may hold ``/ + @ =``; the pages link them percent-escaped
    (``/node/ds:cc%2F2024%2Bx%40v%3D1``) but the server never unescapes the path, so
    following the link answers 400 "is not a node id": such datasets and models (and
    anything linking to them) cannot be browsed."""
    node = slashed[1][which]
    page = pages.answer(_node_url(node))
    assert page.status == 200
    assert node.encode() in page.body


def test_hostile_strings_stay_text_in_every_page(tmp_path: Path) -> None:
    """(Holds.) Markup, quotes and DOT syntax in step versions and runs, a drop reason,
    a model's description, a dataset's version and a shard's uri come out escaped in
    every page the home page links to, and the drawings have only the boxes the
    pipeline has."""
    url, ids = hostile_ledger(tmp_path)
    with serving_pages(url) as (base, _):
        for target in (
            "/",
            _node_url(ids["model"]),
            _node_url(ids["dataset"]),
            _node_url(ids["shard"]),
            _node_url(ids["post"]),
        ):
            with urllib.request.urlopen(base + target) as answer:
                body = answer.read().decode()
            assert live_markup(body) == [], target
