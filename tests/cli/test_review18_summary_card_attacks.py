"""Adversarial review of ``lineage summary``, ``lineage card`` and ``lineage export prov``
(issue 18): text a pipeline or a provider file controls (platform, surface, jurisdiction,
drop reasons, step versions, licence, languages) stays text in every output, and every
post left out shows on the page, not only in the sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from prov.model import ProvDocument

from lineage.crypto.keys import KeyDirectory
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger

from support.cli import run_cli
from support.hostile import HOSTILE, STEPS, live_markup
from support.ledgers import T0, registration_envelope

YAML_BREAK = "x\n---\nlicense: evil\ninjected: true\n---\n# Injected heading\n| a | b |\n```"
CONTROL = "ctl\x01\x0b\x1b[31mred"


def fields_ledger(root: Path, text: str) -> str:
    """A ledger at ``root``/f.db with ``text`` as every post's platform and jurisdiction,
    ``HOSTILE`` as their surface, and two posts dropped for reasons outside the named
    measures (``text`` and ``HOSTILE``); returns its URL (``ds:d1``, ``model:m1``)."""
    url = f"sqlite:///{root}/f.db"
    keys = KeyDirectory(root / "keys")
    admin = keys.create("admin")
    signer = keys.create("k")
    ledger = Ledger.create(url, admin)
    ledger.append([("r", registration_envelope(admin, signer, STEPS, T0))], admin)
    ledger.close()
    with Lineage.open(url, keys_dir=root / "keys") as lineage:
        collect = lineage.step("collect", key="k", version=text[:60], time="2024-07-01T00:00:00Z")
        keep = lineage.step("filter", key="k", version=text, time="2024-07-01T01:00:00Z")
        pack = lineage.step("pack", key="k", time="2024-07-02T00:00:00Z")
        records = []
        for n in range(4):
            post = collect.origin(
                f"fb:post:{n}",
                platform=text,
                surface=HOSTILE,
                visibility="public",
                created="2024-06-01T00:00:00Z",
                jurisdiction=text,
                author=f"fb:user:{n}",
                author_age="adult",
            )
            if n >= 2:
                keep.drop(post, text if n == 2 else HOSTILE[:200])
            else:
                records.append(keep.keep(post))
        shard = pack.shard("s1", sha256="00" * 32, size=1, records=records, uri=text)
        dataset = pack.dataset("d1", shards=[shard], version=text[:100])
        lineage.step("train", key="k", version=text, time="2024-08-01T00:00:00Z").model(
            "m1", trained_on=[dataset], description=text
        )
    return url


@pytest.fixture(scope="module")
def yaml_breaking(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fields_ledger(tmp_path_factory.mktemp("yaml"), YAML_BREAK)


PROVIDER = """
[provider]
name = "ACME"
contact = "a@b"
[dataset]
license = "mit\\n---\\ninjected: true\\n# Injected heading <script>alert(1)</script>"
languages = ["en\\n# Injected", "fr: x"]
curators = "me\\n---\\nevil: 1"
"""


def _as_html(page: str) -> str:
    """``page`` as a CommonMark renderer (raw HTML passed through, as the hub does) shows
    it; an HTML page as it is."""
    if page.lstrip().startswith("<!DOCTYPE"):
        return page
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(page)


def _front_matter(card: str) -> tuple[dict[str, object], str]:
    """The card's YAML block, parsed, and the Markdown after it."""
    assert card.startswith("---\n")
    block, _, body = card[4:].partition("\n---\n")
    return yaml.safe_load(block), body


def test_provider_licence_and_languages_cannot_add_yaml_keys_or_markdown_structure(
    yaml_breaking: str, tmp_path: Path
) -> None:
    """The hub's template put ``license`` and ``language`` into the card's body as given:
    a provider licence holding ``---`` and ``# heading`` lines and raw ``<script>`` became a
    heading and live markup in the README the hub renders. Now the YAML holds them as
    values and the body as escaped inline text."""
    provider = tmp_path / "p.toml"
    provider.write_text(PROVIDER)
    out = tmp_path / "README.md"
    result = run_cli(
        "card", "ds:d1", "-o", str(out), "--db", yaml_breaking, "--provider", str(provider)
    )
    assert result.exit_code == 0, result.output
    metadata, body = _front_matter(out.read_text())
    assert (
        metadata["license"]
        == "mit\n---\ninjected: true\n# Injected heading <script>alert(1)</script>"
    )
    assert metadata["language"] == ["en\n# Injected", "fr: x"]
    assert "injected" not in metadata and "evil" not in metadata
    headings = [line for line in body.splitlines() if line.startswith("#")]
    assert not [h for h in headings if "Injected" in h or "Heading" in h], headings
    assert not [line for line in body.splitlines() if line.strip() == "---"]
    assert live_markup(_as_html(body)) == []
    lines = [line for line in body.splitlines() if line.startswith("- **License:**")]
    assert len(lines) == 1 and "\\<script\\>" in lines[0]


def test_pipeline_text_in_the_card_and_summary_pages_stays_text(
    yaml_breaking: str, tmp_path: Path
) -> None:
    """Platform, surface, jurisdiction, drop reasons and step versions holding YAML,
    Markdown and HTML syntax add no heading, table row, fence or element to the card, the
    Markdown summary or the HTML summary."""
    card = tmp_path / "README.md"
    assert run_cli("card", "ds:d1", "-o", str(card), "--db", yaml_breaking).exit_code == 0
    metadata, body = _front_matter(card.read_text())
    assert set(metadata) == {"pretty_name", "size_categories", "source_datasets", "tags", "lineage"}
    markdown, html = _summary_pages(yaml_breaking, tmp_path)
    for page in (body, markdown):
        lines = [line.strip() for line in page.splitlines()]
        for broken_out in ("license: evil", "injected: true", "# Injected heading", "| a | b |"):
            assert broken_out not in lines
        assert lines.count("```") == 2  # the checkpoint's fence, opened and closed once
    for page in (body, markdown, html):
        assert live_markup(_as_html(page)) == []


def _summary_pages(url: str, root: Path) -> list[str]:
    pages = []
    for suffix in (".md", ".html"):
        out = root / f"s{suffix}"
        result = run_cli("summary", "model:m1", "-o", str(out), "--db", url)
        assert result.exit_code == 0, result.output
        pages.append(out.read_text())
    return pages


def _dropped_outside_measures(url: str) -> dict[str, int]:
    """Posts left out, by reason, for reasons no named measure covers, from ``trace``."""
    traced = json.loads(run_cli("trace", "ds:d1", "--json", "--db", url).output)
    named = ("not-public", "private", "objection", "objected", "minor", "deleted", "duplicate")
    found: dict[str, int] = {}
    for drop in traced["summary"]["dropped"]:
        reason = drop["reason"]
        if reason not in named and not reason.startswith(("paused:", "excluded-surface:")):
            found[reason] = found.get(reason, 0) + drop["count"]
    return found


def test_posts_left_out_for_other_reasons_show_on_the_summary_page(
    yaml_breaking: str, tmp_path: Path
) -> None:
    """Drops whose reason no measure names were in the sidecar's figures only: the page's
    "Measures applied before training" listed six zeros while two posts had been left
    out. Now the page and its table carry a row for them, with trace's count."""
    expected = _dropped_outside_measures(yaml_breaking)
    assert sum(expected.values()) == 2
    out = tmp_path / "s.json"
    assert run_cli("summary", "model:m1", "-o", str(out), "--db", yaml_breaking).exit_code == 0
    document = json.loads(out.read_text())
    [field] = [
        f
        for section in document["sections"]
        for sub in section["subsections"]
        for f in sub["fields"]
        if f["label"].startswith("Measures applied before training")
    ]
    [row] = [r for r in field["table"]["rows"] if r["measure"].startswith("Other reasons")]
    assert row["by_reason"] == expected and row["count"] == sum(expected.values())
    assert (
        f"Other reasons (as the pipeline recorded them): {sum(expected.values())}"
        in field["answer"]
    )
    page = tmp_path / "s.md"
    assert run_cli("summary", "model:m1", "-o", str(page), "--db", yaml_breaking).exit_code == 0
    assert "| Other reasons (as the pipeline recorded them) | 2 |" in page.read_text()


@pytest.fixture(scope="module")
def control_characters(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fields_ledger(tmp_path_factory.mktemp("control"), CONTROL)


def test_prov_xml_refuses_a_control_character_in_one_line_and_writes_nothing(
    control_characters: str, tmp_path: Path
) -> None:
    """XML 1.0 cannot hold U+0001 at all: PROV-XML of a ledger whose platform holds one
    was "internal error (ValueError …)". Now it is a one-line refusal naming the record
    and attribute and the formats that can hold it, and no file."""
    out = tmp_path / "p.xml"
    result = run_cli(
        "export", "prov", "model:m1", "--format", "xml", "-o", str(out), "--db", control_characters
    )
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: --format: ") and "control character" in line
    assert "internal error" not in line and "\x01" not in line and not out.exists()


@pytest.mark.parametrize("fmt", ["json", "provn", "ttl"])
def test_the_other_prov_formats_carry_control_characters_and_yaml_exactly(
    control_characters: str, yaml_breaking: str, tmp_path: Path, fmt: str
) -> None:
    """PROV-JSON, PROV-N and Turtle hold the same values byte for byte (read back by the
    prov package and rdflib), and hostile text adds no record or predicate."""
    for url, text in ((control_characters, CONTROL), (yaml_breaking, YAML_BREAK)):
        out = tmp_path / f"p.{fmt}"
        result = run_cli("export", "prov", "model:m1", "--format", fmt, "-o", str(out), "--db", url)
        assert result.exit_code == 0, result.output
        if fmt == "ttl":
            import rdflib

            graph = rdflib.Graph().parse(out, format="turtle")
            platforms = {str(o) for _, p, o in graph if str(p).endswith("#platform")}
            predicates = {str(p) for _, p, _ in graph}
            assert not [p for p in predicates if "evil" in p or "injected" in p.lower()]
        else:
            document = ProvDocument.deserialize(str(out), format=fmt)
            platforms = {
                str(value)
                for record in document.get_records()
                for name, value in record.attributes
                if str(name).endswith("platform")
            }
        assert platforms == {text}
