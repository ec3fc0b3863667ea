"""The report is a page an auditor opens from disk and hands over: in a real browser it
loads with no network request, its pipeline drawing has one box per step run, each
finding links to the drawing of its origin's path, and it prints to a PDF whose pages
render and name the artifact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lineage.demo.run import DemoReport, run_demo

from support.cli import run_cli
from support.pages import browser_page, distinct_colours, screenshot

DEMO_STAGES = 11
"""collect, visibility, jurisdiction, objection, minor, deletion, pii-redact, dedup,
pack, dataset, train: the runs behind the demo's base model."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    return run_demo(tmp_path_factory.mktemp("report-demo"), posts=600)


def _report(demo: DemoReport, out: Path, *extra: str) -> dict[str, object]:
    result = run_cli("report", demo.run.model, "--db", demo.store, "-o", str(out), "--json", *extra)
    assert result.exit_code == 0, result.output
    written: dict[str, object] = json.loads(result.output)
    return written


def test_the_report_loads_from_disk_with_no_network_request(
    demo: DemoReport, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    policy = "public-content-training"
    _report(demo, out, "--policy", policy, "--bundle", str(tmp_path / "check.bundle.json"))
    requested: list[str] = []
    with browser_page() as page:
        page.on("request", lambda request: requested.append(request.url))
        page.goto(out.as_uri())
        assert demo.run.model in page.title()
        assert page.locator("#compliance .verdict").inner_text() == "PASS"
        assert page.locator('a[href="check.bundle.json"]').count() == 1
        png = screenshot(page, "report-artifact")
    assert requested == [out.as_uri()]
    assert distinct_colours(png) > 50


def test_the_pipeline_drawing_has_a_box_per_step_run(demo: DemoReport, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _report(demo, out)
    with browser_page() as page:
        page.goto(out.as_uri())
        drawing = page.locator("#pipeline-drawing svg")
        boxes = drawing.locator("g.node").count()
        arrows = drawing.locator("g.edge").count()
        rows = page.locator('#pipeline tr[id^="run-"]').count()
        page.locator("#pipeline-drawing").scroll_into_view_if_needed()
        png = screenshot(page, "report-pipeline")
    assert boxes == rows == DEMO_STAGES
    assert arrows == DEMO_STAGES - 1  # the demo's pipeline is a chain
    assert distinct_colours(png) > 50


def test_a_finding_links_to_the_drawing_of_its_origins_path(
    demo: DemoReport, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    _report(demo, out, "--policy", "public-content-training")
    with browser_page() as page:
        page.goto(out.as_uri())
        finding = page.locator(".finding").first
        origin = finding.locator("tr", has_text="origin").locator("td").inner_text()
        finding.locator('a[href^="#path-"]').click()
        target = page.evaluate("location.hash")
        drawn = page.locator(f"{target} svg g.node").count()
        screenshot(page, "report-finding")
    traced = run_cli("trace", demo.run.model, "--path", origin, "--db", demo.store, "--json")
    assert traced.exit_code == 0, traced.output
    hops = json.loads(traced.output)["hops"]
    assert drawn == len(hops) + 1


def test_the_pdf_renders_and_names_the_artifact(demo: DemoReport, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    written = _report(demo, out, "--pdf", "--policy", "public-content-training")
    pdf = Path(str(written["pdf"]))
    assert pdf == out.with_suffix(".pdf") and pdf.stat().st_size > 0
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "2", pdf, tmp_path / "page"], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(distinct_colours(p.read_bytes()) > 20 for p in pages)
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, check=True).stdout
    assert demo.run.model.encode() in text


def test_the_privacy_report_names_the_author_by_pseudonym_only(
    demo: DemoReport, tmp_path: Path
) -> None:
    out = tmp_path / "author.html"
    author = demo.run.kept_post_author
    result = run_cli("report", "--author", author, "--db", demo.store, "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert author not in html and "subject:" in html and demo.run.model in html
    with browser_page() as page:
        page.goto(out.as_uri())
        assert page.locator("#plan").count() == 1
        png = screenshot(page, "report-author", full_page=True)
    assert distinct_colours(png) > 50
