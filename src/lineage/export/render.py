"""Pages rendered from an export's JSON document: Markdown (every value escaped, so text
from a pipeline cannot add structure) or self-contained HTML (autoescaped, no script)."""

from __future__ import annotations

import re
from typing import Any

import jinja2

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")
_SPACES = re.compile(r"\s+")


def markdown_text(value: object) -> str:
    """``value`` as Markdown inline text: one line, every special character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _SPACES.sub(" ", str(value)).strip())


def cell_text(value: object) -> str:
    """A table cell's value as text: numbers with separators, periods as ranges, maps and
    lists joined."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        if set(value) == {"from", "to"}:
            return f"{value['from']} to {value['to']}"
        return ", ".join(f"{key}: {cell_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(cell_text(item) for item in value)
    return str(value)


def _environment(markdown: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("lineage.export", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = markdown_text
    environment.filters["cell"] = (
        (lambda value: markdown_text(cell_text(value))) if markdown else cell_text
    )
    return environment


def render_page(template: str, document: dict[str, Any]) -> str:
    """Render ``template`` (``NAME.md.j2`` or ``NAME.html.j2``) with ``doc`` = ``document``."""
    markdown = template.endswith(".md.j2")
    return _environment(markdown).get_template(template).render(doc=document)
