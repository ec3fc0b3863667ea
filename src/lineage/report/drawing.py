"""Drawings for reports as inline SVG, laid out by Graphviz's ``dot``: the pipeline of step
runs behind an artifact (a DAG with counts) and the path from one origin down to it.

Labels are escaped for DOT; ``dot`` escapes them again for XML. The SVG is inlined in
the page, so the XML prologue and comments are cut and nothing but ``dot``'s own output
goes in (no script: ``dot`` writes none, and ``href``s are only ``#anchors`` made here).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence

from lineage.errors import ConfigurationError, InputError
from lineage.model.graph import DERIVED_FROM, FINETUNED_FROM, PACKED_INTO, PART_OF, TRAINED_ON
from lineage.query.nodes import Hop
from lineage.query.pipeline import Pipeline

MAX_DRAWN_RUNS = 400
"""A pipeline with more step runs is listed, not drawn (dot's layout grows quadratically)."""
DOT_TIMEOUT_S = 60.0
_SVG_START = re.compile(r"<svg\b")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CARRIED = {
    DERIVED_FROM: "records",
    PACKED_INTO: "records",
    PART_OF: "shards",
    TRAINED_ON: "inputs",
    FINETUNED_FROM: "base model",
}
_FONT = 'fontname="DejaVu Sans,Helvetica,Arial,sans-serif"'


def dot_program() -> str:
    """The ``dot`` executable (``LINEAGE_DOT`` or the one on PATH)."""
    found = os.environ.get("LINEAGE_DOT") or shutil.which("dot")
    if not found:
        raise ConfigurationError(
            "drawings need Graphviz's dot, which is not installed (Debian: apt-get install"
            " graphviz; or set LINEAGE_DOT); --no-drawings writes the report without them"
        )
    return found


def quoted(text: str) -> str:
    """``text`` as a DOT quoted string (one line: line breaks become spaces)."""
    flat = " ".join(str(text).split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(lines: Sequence[str]) -> str:
    """A multi-line DOT label: each line escaped, joined by centred line breaks."""
    return "\\n".join(quoted(line)[1:-1] for line in lines if line)


def render_svg(source: str) -> str:
    """The SVG ``dot`` lays out for ``source``, ready to inline in HTML."""
    try:
        done = subprocess.run(
            [dot_program(), "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise InputError(
            f"dot took more than {DOT_TIMEOUT_S:.0f} s to lay out a drawing"
        ) from error
    except OSError as error:
        raise ConfigurationError(f"cannot run dot: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise ConfigurationError(f"dot failed: {message[0] if message else done.returncode}")
    svg = done.stdout.decode()
    start = _SVG_START.search(svg)
    if start is None:
        raise ConfigurationError("dot wrote no SVG")
    return _COMMENT.sub("", svg[start.start() :]).strip()


def pipeline_dot(pipeline: Pipeline) -> str:
    """The pipeline as DOT: one box per step run (signer, nodes it declared upstream of
    the artifact, what it dropped), one arrow per pair of linked runs (with the count)."""
    lines = [
        "digraph pipeline {",
        "  rankdir=TB;",
        f"  graph [{_FONT}, fontsize=11];",
        f'  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", {_FONT}, fontsize=10];',
        f'  edge [{_FONT}, fontsize=9, color="#5b6b8c"];',
    ]
    for n, run in enumerate(pipeline.runs):
        declared = ", ".join(f"{count:,} {kind}" for kind, count in sorted(run.declared.items()))
        dropped = sum(run.dropped.values())
        label = _label(
            [
                run.step + (f" {run.version}" if run.version else ""),
                run.run,
                "signed by " + ", ".join(sorted(run.signers)) if run.signers else "",
                "made " + declared,
                f"dropped {dropped:,}" if dropped else "",
            ]
        )
        lines.append(
            f'  r{n} [label="{label}", id="run-{n}", href="#run-{n}", tooltip={quoted(run.label)}];'
        )
    for link in pipeline.links:
        what = _CARRIED.get(link.kind, link.kind.lower())
        lines.append(f'  r{link.up} -> r{link.down} [label="{link.edges:,} {what}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def path_dot(hops: Sequence[Hop]) -> str:
    """One origin's path as DOT: its nodes top to bottom, each hop labelled with the
    step run and signer that asserted it and the entry it is in."""
    if not hops:
        raise InputError("a path needs at least one hop")
    nodes = [hops[0].edge.up, *(hop.edge.down for hop in hops)]
    lines = [
        "digraph path {",
        "  rankdir=TB;",
        f'  node [shape=box, style="rounded,filled", fillcolor="#fdf6e3", {_FONT}, fontsize=10];',
        f"  edge [{_FONT}, fontsize=9];",
    ]
    for n, node in enumerate(nodes):
        lines.append(f"  n{n} [label={quoted(node)}];")
    for n, hop in enumerate(hops):
        label = _label(
            [
                f"{hop.edge.kind} (entry {hop.edge.entry})",
                f"{hop.step} {hop.version}".strip(),
                f"signed by {hop.signer}",
            ]
        )
        lines.append(f'  n{n} -> n{n + 1} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
