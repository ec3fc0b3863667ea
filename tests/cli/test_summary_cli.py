"""``lineage summary`` and ``lineage card`` on the command line: each output form with its
sidecar, the JSON result, and a one-line error (non-zero exit, nothing written) for each
way of asking wrongly, the provider file's mistakes named by key."""

from __future__ import annotations

import json
import shlex
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lineage.demo.simulate import DemoRun

from support.cli import run_cli
from support.demo import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("demo")
    return run_demo(f"sqlite:///{root / 'lineage.db'}", root)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_markdown_html_and_json_with_their_sidecar(demo: DemoRun, tmp_path: Path) -> None:
    for name in ("s.md", "s.html", "s.json"):
        out = tmp_path / name
        result = run_cli("summary", demo.model, "-o", str(out), "--json", "--db", demo.url)
        assert result.exit_code == 0, result.output
        told = json.loads(result.stdout)
        sidecar = json.loads((tmp_path / "s.json").read_text())
        assert told["sidecar"] == str(tmp_path / "s.json") and told["file"] == str(out)
        assert told["missing"] == [item["key"] for item in sidecar["missing"]]
        assert sidecar["model"] == demo.model and sidecar["format"].startswith("lineage.eu")
    markdown = (tmp_path / "s.md").read_text()
    assert "## 2. List of data sources" in markdown and "### 2.4 User data" in markdown
    assert "None recorded in this ledger." in markdown
    tags = _Tags()
    tags.feed((tmp_path / "s.html").read_text())
    assert "script" not in tags.tags and tags.tags.count("section") == 3


def test_the_provider_file_fills_fields_and_its_mistakes_are_named(
    demo: DemoRun, tmp_path: Path
) -> None:
    provider = tmp_path / "provider.toml"
    provider.write_text('[provider]\nname = "Example AI Ltd"\n')
    out = tmp_path / "s.md"
    args = ("summary", demo.model, "-o", str(out), "--db", demo.url, "--provider", str(provider))
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert "Example AI Ltd" in out.read_text()
    assert "missing provider fields: provider.contact" in result.output
    for text, problem in [
        ('[provider]\nnmae = "x"\n', "provider.nmae: unknown key"),
        ("[provider\n", "not TOML"),
        ('[training_data]\nmodalities = ["smell"]\n', "training_data.modalities: each one of"),
        ('[training_data]\ntext_size = "lots"\n', "text_size: one of the template's ranges"),
        ("[model]\nname = 3\n", "model.name: expected non-empty text"),
        ('provider = "x"\n', "provider: expected a [provider] table"),
        ("x = '" + "a" * 70_000 + "'\n", "larger than 65,536 bytes"),
    ]:
        provider.write_text(text)
        out.unlink(missing_ok=True)
        result = run_cli(*args)
        assert result.exit_code != 0, text
        assert problem in result.output and str(provider) in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert not out.exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("summary", "MODEL", "-o", "OUT/s.txt"), "name the file *.md, *.html or *.json"),
        (("summary", "MODEL", "-o", "OUT/s.md", "--format", "iso"), "--format: 'iso'"),
        (("summary", "DATASET", "-o", "OUT/s.md"), "is a dataset: give a model"),
        (("summary", "MODEL", "-o", "OUT/no/s.md"), "no such directory"),
        (("summary", "model:nope", "-o", "OUT/s.md"), "no node model:nope"),
        (("summary", "MODEL", "-o", "OUT/s.md", "--as-of", "yesterday"), "--as-of"),
        (("card", "MODEL", "-o", "OUT/README.md"), "is a model: give a dataset or shard"),
        (("card", "DATASET", "-o", "OUT"), "is a directory"),
    ],
)
def test_asking_wrongly_is_one_line_and_writes_nothing(
    demo: DemoRun, tmp_path: Path, args: tuple[str, ...], problem: str
) -> None:
    named = {"MODEL": demo.model, "DATASET": demo.dataset, "OUT": str(tmp_path)}
    filled = [named.get(a, a.replace("OUT", str(tmp_path))) for a in args]
    result = run_cli(*filled, "--db", demo.url)
    assert result.exit_code != 0
    assert problem in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_card_for_the_dataset(demo: DemoRun, tmp_path: Path) -> None:
    out = tmp_path / "README.md"
    result = run_cli("card", demo.dataset, "-o", str(out), "--json", "--db", demo.url)
    assert result.exit_code == 0, result.output
    told = json.loads(result.stdout)
    text = out.read_text()
    assert text.startswith("---\n") and told["bytes"] == len(text.encode())
    assert told["missing"] == ["dataset.license", "dataset.languages"]
    provider = tmp_path / "p.toml"
    provider.write_text('[dataset]\nlicense = "cc-by-4.0"\nlanguages = ["en"]\n')
    result = run_cli(
        "card", demo.dataset, "-o", str(out), "--provider", str(provider), "--db", demo.url
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "license: cc-by-4.0" in text and "- en" in text
    assert "missing provider fields" not in result.output


def test_the_sidecars_recompute_commands_give_its_figures(demo: DemoRun, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    assert run_cli("summary", demo.model, "-o", str(out), "--db", demo.url).exit_code == 0
    sidecar = json.loads(out.read_text())
    figures: dict[str, dict[str, object]] = {}
    for section in sidecar["sections"]:
        for sub in section["subsections"]:
            for field in sub["fields"]:
                figures.update(field.get("figures", {}))
    command = str(figures["posts"]["recompute"])
    assert command == f"lineage trace {demo.dataset} --json"
    result = run_cli(*shlex.split(command)[1:], "--db", demo.url)
    traced = json.loads(result.stdout)["summary"]
    assert figures["posts"]["value"] == traced["origins"]
    for code, count in traced["by_jurisdiction"].items():
        assert figures[code]["value"] == count
    dropped: dict[str, int] = {}
    for drop in traced["dropped"]:
        dropped[drop["step"]] = dropped.get(drop["step"], 0) + drop["count"]
    for key in ("visibility", "jurisdiction", "objection", "minor", "deletion", "dedup"):
        assert str(figures[key]["recompute"]).startswith(command)
        assert figures[key]["value"] == dropped[key], key
