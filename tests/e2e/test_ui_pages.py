"""``lineage serve --ui`` in a real browser: the search box finds a raw post id and lands
on the post's pseudonymous page, an artifact's page is the report (with a policy chosen
on the page), a finding leads to its path and a bundle that verifies, a step run has its
page, and nothing is fetched from anywhere but the server. Off loopback a token guards
the pages, and the logs never show it."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lineage.demo.run import DemoReport, run_demo

from support.cli import run_cli
from support.pages import browser_page, distinct_colours, screenshot, serving_pages

POLICY = "public-content-training"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    return run_demo(tmp_path_factory.mktemp("ui-demo"), posts=600)


def test_the_search_box_finds_a_raw_post_id(demo: DemoReport) -> None:
    raw = demo.run.kept_post
    with serving_pages(demo.store) as (base, _), browser_page() as page:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(base + "/")
        page.fill('input[name="q"]', raw)
        page.click('button[type="submit"]')
        page.wait_for_url("**/node/post:*")
        assert page.locator("h1 .id").inner_text() == demo.kept_post_id
        assert raw not in page.content()  # pseudonymous: the platform id is not shown
        assert page.locator("#reach").get_by_text(demo.run.model).count() == 1
        png = screenshot(page, "ui-post")
    assert requested and all(url.startswith(base + "/") for url in requested)
    assert distinct_colours(png) > 50


def test_an_artifacts_page_checks_a_chosen_policy_and_leads_to_a_verified_bundle(
    demo: DemoReport, tmp_path: Path
) -> None:
    with serving_pages(demo.store) as (base, _), browser_page() as page:
        page.goto(base + "/")
        page.locator("#models").get_by_role("link", name=demo.run.model).click()
        assert page.locator("#pipeline-drawing svg g.node").count() == 11
        page.select_option('select[name="policy"]', label=POLICY + " 2025.06")
        page.click('form[action^="/node/"] button')
        page.wait_for_url("**policy=*")
        assert page.locator("#compliance .verdict").inner_text() == "PASS"
        screenshot(page, "ui-artifact")
        page.locator(".finding").first.get_by_role(
            "link", name="path from the origin, with its bundle"
        ).click()
        page.wait_for_url("**/path?*")
        hops = page.locator("table tr").count() - 1
        assert page.locator("#path-drawing svg g.node").count() == hops + 1
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the bundle").click()
        bundle = tmp_path / "path.bundle.json"
        download.value.save_as(bundle)
        screenshot(page, "ui-path")
    verified = run_cli("verify-bundle", str(bundle))
    assert verified.exit_code == 0 and verified.output.startswith("PROVEN"), verified.output


def test_a_step_run_and_an_author_have_their_pages(demo: DemoReport) -> None:
    with serving_pages(demo.store) as (base, _), browser_page() as page:
        page.goto(f"{base}/node/{demo.run.model}")
        page.locator("#pipeline").get_by_role("link", name="jurisdiction").click()
        page.wait_for_url("**/run?*")
        dropped = page.locator("#dropped").inner_text()
        assert "paused:EU/EEA" in dropped
        screenshot(page, "ui-run")
        page.goto(base + "/")
        page.fill('input[name="q"]', demo.run.kept_post_author)
        page.click('button[type="submit"]')
        page.wait_for_url("**/node/subject:*")
        assert page.locator("#plan").count() == 1
        assert demo.run.kept_post_author not in page.content()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_token_guards_the_pages_and_is_never_logged(demo: DemoReport) -> None:
    token = "t0ken-" + "x" * 20
    with serving_pages(demo.store, token=token) as (base, logged):
        assert _get(base + "/")[0] == 401
        assert _get(base + "/", {"Authorization": "Bearer wrong-token-xxxxxxxxx"})[0] == 401
        status, headers, _ = _get(base + "/", {"Authorization": f"Bearer {token}"})
        assert status == 200 and "script-src" not in headers["Content-Security-Policy"]
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        status, headers, _ = _get(f"{base}/checkpoint?token={token}")
        assert status == 200 and "HttpOnly" in headers["Set-Cookie"]
        cookie = headers["Set-Cookie"].split(";")[0]
        assert _get(base + "/proof/1", {"Cookie": cookie})[0] == 200
    assert logged and not any(token in line for line in logged)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/node/not-an-id", 400),
        ("/node/model:missing", 400),
        ("/nowhere", 404),
        ("/proof/99999999", 400),
        ("/path?origin=post:abc", 400),
        ("/node/model:x?policy=../../etc/passwd", 400),
        ("/search?q=" + "a" * 5000, 414),
    ],
)
def test_bad_addresses_get_a_page_that_says_why(demo: DemoReport, path: str, status: int) -> None:
    with serving_pages(demo.store) as (base, _):
        code, headers, body = _get(base + path)
    assert code == status and headers["Content-Type"].startswith("text/html")
    assert b"Traceback" not in body


def test_the_cli_refuses_a_remote_bind_without_a_token(tmp_path: Path) -> None:
    db = ("--db", f"sqlite:///{tmp_path}/none.db")
    remote = run_cli("serve", "--ui", "--host", "0.0.0.0", *db)
    assert remote.exit_code == 2 and "--allow-remote" in remote.output
    tokenless = run_cli("serve", "--ui", "--host", "0.0.0.0", "--allow-remote", *db)
    assert tokenless.exit_code == 2 and "needs a token" in tokenless.output
    short = tmp_path / "token"
    short.write_text("abc\n")
    weak = run_cli(
        "serve", "--ui", "--host", "0.0.0.0", "--allow-remote", "--token-file", str(short), *db
    )
    assert weak.exit_code == 2 and "at least 16" in weak.output
    both = run_cli("serve", "--ui", "--tiles", *db)
    assert both.exit_code == 2 and "one of them" in both.output
