"""``lineage report`` on the command line: the page, its bundle and JSON summary, and a
clear one-line error (exit 2, nothing written) for each way of asking wrongly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import run_cli
from support.ledgers import LedgerEnv
from support.policy_fixtures import POLICY, build


def test_a_report_with_a_bundle_that_verifies_and_a_json_summary(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    build(sqlite_env)
    db = ("--db", sqlite_env.url)
    keys = ("--keys-dir", str(sqlite_env.root / "keys"))
    assert run_cli("policy", "register", str(POLICY), *db, *keys).exit_code == 0
    out, bundle = tmp_path / "m1.html", tmp_path / "m1.bundle.json"
    args = ("report", "model:m1", "-o", str(out), "--policy", "public-content-training")
    result = run_cli(*args, "--bundle", str(bundle), "--json", *db)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] is False and summary["bytes"] == out.stat().st_size
    html = out.read_text()
    assert "<svg" in html and 'href="m1.bundle.json"' in html and "FAIL" in html
    assert 'read: post.jurisdiction</th><td><code>"BR"</code>' in html  # what the rule read
    verified = run_cli("verify-bundle", str(bundle))
    assert verified.exit_code == 0, verified.output  # the listed findings are proven
    assert verified.output.startswith("PROVEN") and "model:m1" in verified.output


def test_without_drawings_the_page_says_so_and_has_no_svg(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    build(sqlite_env)
    out = tmp_path / "plain.html"
    result = run_cli("report", "model:m1", "-o", str(out), "--no-drawings", "--db", sqlite_env.url)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<svg" not in html and "--no-drawings" in html


def test_a_missing_dot_is_named_with_what_to_do(
    sqlite_env: LedgerEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(sqlite_env)
    monkeypatch.setenv("LINEAGE_DOT", str(tmp_path / "no-such-dot"))
    out = tmp_path / "r.html"
    result = run_cli("report", "model:m1", "-o", str(out), "--db", sqlite_env.url)
    assert result.exit_code != 0 and "dot" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "give an ARTIFACT"),
        (("model:m1", "--author", "fb:user:ok"), "give an ARTIFACT"),
        (("model:m1", "-o", "report.pdf"), "*.html"),
        (("model:m1", "--bundle", "b.json"), "--bundle carries"),
        (("--author", "fb:user:ok", "--policy", "x"), "go with an ARTIFACT"),
        (("model:nope",), "no node model:nope"),
        (("--author", "fb:user:nobody"), "no author"),
        (("model:m1", "--policy", "no-such-policy"), "no-such-policy"),
        (("model:m1", "-o", "missing-dir/r.html"), "no such directory"),
    ],
)
def test_bad_requests_get_one_line_and_write_nothing(
    sqlite_env: LedgerEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    says: str,
) -> None:
    build(sqlite_env)
    monkeypatch.chdir(tmp_path)
    result = run_cli("report", *args, "--db", sqlite_env.url)
    assert result.exit_code == 2, result.output
    assert says in result.output and len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.html"))


def test_the_privacy_report_for_an_author_who_objected(
    sqlite_env: LedgerEnv, tmp_path: Path
) -> None:
    build(sqlite_env)
    out = tmp_path / "objector.html"
    result = run_cli(
        "report", "--author", "fb:user:objector", "-o", str(out), "--db", sqlite_env.url
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "objection receipt" in html and "model:m1" in html and "model:m2" in html
    assert "fb:user:objector" not in html
