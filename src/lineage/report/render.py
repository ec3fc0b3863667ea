"""Reports as one self-contained HTML file: Jinja2 templates (autoescaped), styles inline,
drawings inline as SVG; nothing is fetched when the page is opened."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from markupsafe import Markup

from lineage.model.times import format_us
from lineage.report.artifact import ArtifactReport
from lineage.report.author import AuthorReport
from lineage.report.drawing import MAX_DRAWN_RUNS, path_dot, pipeline_dot, render_svg

LinkId = Callable[[str], Markup | str]


def _plain(node_id: str) -> str:
    return node_id


def as_of_text(as_of_us: int | None) -> str:
    """How a page names the ledger state it read."""
    if as_of_us is None:
        return "the ledger as it stands"
    return f"the ledger as it stood at {format_us(as_of_us)}"


def entry_ranges(entries: Iterable[int]) -> str:
    """Entries as ranges: ``3-5, 9``."""
    spans: list[list[int]] = []
    for entry in sorted(set(entries)):
        if spans and entry == spans[-1][1] + 1:
            spans[-1][1] = entry
        else:
            spans.append([entry, entry])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def environment() -> jinja2.Environment:
    """The templates, autoescaped, with the filters and globals they use."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lineage.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    env.globals["format_us"] = format_us
    env.globals["entry_link"] = str
    env.globals["run_url"] = None
    env.globals["path_url"] = None
    env.filters["ranges"] = entry_ranges
    return env


@dataclass
class Drawings:
    """The SVGs of a report: its pipeline and, by finding anchor, each origin's path."""

    pipeline: str = ""
    paths: dict[str, str] = field(default_factory=dict)
    note: str = ""


def draw(report: ArtifactReport) -> Drawings:
    """Lay out the report's drawings with Graphviz."""
    drawings = Drawings()
    if len(report.pipeline.runs) > MAX_DRAWN_RUNS:
        drawings.note = (
            f"{len(report.pipeline.runs):,} step runs are too many to draw"
            f" (at most {MAX_DRAWN_RUNS}); the table lists them all."
        )
    elif report.pipeline.runs:
        drawings.pipeline = render_svg(pipeline_dot(report.pipeline))
    for item in report.findings:
        if item.hops:
            drawings.paths[item.anchor] = render_svg(path_dot(item.hops))
    return drawings


def render_artifact(
    report: ArtifactReport,
    drawings: Drawings | None,
    *,
    version: str,
    template: str = "artifact.html.j2",
    link_id: LinkId = _plain,
    extra: dict[str, Any] | None = None,
) -> str:
    """The report as one HTML page (``drawings`` None: without drawings, saying so)."""
    cited = sorted({e for item in report.findings for e in item.finding.entries})
    page = environment().get_template(template)
    return page.render(
        r=report,
        version=version,
        generated=format_us(report.generated_us),
        log_origin=report.origin,
        as_of_text=as_of_text(report.as_of_us),
        pipeline_svg=Markup(drawings.pipeline) if drawings else "",  # noqa: S704 - dot's own SVG
        path_svgs={k: Markup(v) for k, v in drawings.paths.items()} if drawings else {},  # noqa: S704
        drawings_note=(drawings.note if drawings else "Drawn without Graphviz (--no-drawings)."),
        cited=entry_ranges(cited) if cited else "",
        cited_count=len(cited),
        plain=link_id,
        **(extra or {}),
    )


def render_author(
    report: AuthorReport,
    *,
    version: str,
    template: str = "author.html.j2",
    link_id: LinkId = _plain,
    listed: int = 50,
    extra: dict[str, Any] | None = None,
) -> str:
    """A privacy team's report on one author as one HTML page (``listed`` ids of each
    kind, the rest counted)."""
    return (
        environment()
        .get_template(template)
        .render(
            a=report,
            version=version,
            generated=format_us(report.generated_us),
            log_origin=report.origin,
            as_of_text=as_of_text(report.as_of_us),
            link=link_id,
            listed=listed,
            **(extra or {}),
        )
    )
