"""Adversarial review of ``lineage report``'s file handling (cli/lineage_cli/report_cmd.py):
each file it says it wrote holds what it says, and a bad output path is refused up
front, naming the path the user gave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import run_cli
from support.hostile import hostile_ledger, live_markup
from support.policy_fixtures import POLICY


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    return hostile_ledger(tmp_path_factory.mktemp("hostile"))


def _registered(url: str, root: Path) -> None:
    keys = root.parent / "keys"
    result = run_cli("policy", "register", str(POLICY), "--db", url, "--keys-dir", str(keys))
    assert result.exit_code == 0, result.output


def test_the_bundle_is_not_overwritten_by_the_page_or_its_pdf(
    hostile: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """``--bundle`` naming the page itself (or, with ``--pdf``, the PDF beside it) is
    accepted: the bundle is written, then the page or PDF replaces it, and the command
    still says "bundle written" (the page then links to itself as its evidence). Either
    refuse the clash (exit 2) or keep the bundle."""
    url, ids = hostile
    _registered(url, Path(url.removeprefix("sqlite:///")))
    page = tmp_path / "r.html"
    same = run_cli(
        "report",
        ids["model"],
        "--db",
        url,
        "--policy",
        "public-content-training",
        "--bundle",
        str(page),
        "-o",
        str(page),
        "--no-drawings",
    )
    if same.exit_code == 0:
        json.loads(page.read_text())  # the bundle it says it wrote
    else:
        assert same.exit_code == 2 and "Traceback" not in same.output


def test_a_bundle_in_a_missing_directory_is_refused_naming_it(
    hostile: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A ``--bundle`` in a directory that does not exist fails only after the whole
    check has run, with ``error: …/.b.json.partial: No such file or directory``: the
    temporary file's name, not the path given. The output's directory is checked up
    front; the bundle's should be too."""
    url, ids = hostile
    _registered(url, Path(url.removeprefix("sqlite:///")))
    missing = tmp_path / "no" / "b.json"
    result = run_cli(
        "report",
        ids["model"],
        "--db",
        url,
        "--policy",
        "public-content-training",
        "--bundle",
        str(missing),
        "-o",
        str(tmp_path / "r.html"),
        "--no-drawings",
    )
    assert result.exit_code == 2
    assert ".partial" not in result.output and str(missing.parent) in result.output


def test_an_output_that_is_a_directory_is_refused_naming_it(
    hostile: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """``-o d.html`` where ``d.html`` is a directory: ``error: …/.d.html.partial: Is a
    directory``, after the report was read; it should name ``d.html``."""
    url, ids = hostile
    target = tmp_path / "d.html"
    target.mkdir()
    result = run_cli("report", ids["model"], "--db", url, "-o", str(target), "--no-drawings")
    assert result.exit_code == 2
    assert ".partial" not in result.output, result.output


def test_hostile_strings_stay_text_in_the_report_and_its_drawings(
    hostile: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """(Holds.) Markup, quotes and DOT syntax in step versions and runs, a drop reason,
    a model's description, a dataset's version, a shard's uri, and in a policy file's
    description and rule text: the page has no live markup, and dot draws exactly the
    four step runs (no injected node)."""
    url, ids = hostile
    policy = tmp_path / "evil.toml"
    policy.write_text(
        "[policy]\nid = 'evil-policy'\nversion = '1'\neffective_from = 2024-01-01T00:00:00Z\n"
        "description = '''<script>alert(6)</script>\"]; n [label=\"X\"]; </svg>'''\n"
        "[[rules]]\nid = 'no-us'\n"
        "implements = '''<script>alert(8)</script> \"]; n [label=\"Y\"]'''\n"
        "expr = 'post.jurisdiction != \"US\"'\n"
    )
    out = tmp_path / "r.html"
    result = run_cli("report", ids["model"], "--db", url, "--policy", str(policy), "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert live_markup(page) == []
    pipeline = page.split('id="pipeline-drawing"', 1)[1].split("</svg>", 1)[0]
    assert pipeline.count('class="node"') == 4
