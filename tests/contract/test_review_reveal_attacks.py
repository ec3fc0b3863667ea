"""Adversarial review of ``--reveal`` (src/lineage/ledger/reveal.py and the sealing in
src/lineage/model/identity.py): ids sealed by every ingest path open again, and a
reveal on a ledger written by today's code never says the ids predate sealing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lineage.crypto.keys import KeyDirectory
from lineage.ledger.log import Ledger
from lineage.ledger.reveal import reveal

from support.hostile import slashed_ledger


def test_a_pipeline_appending_in_the_background_keeps_its_raw_ids_sealed(
    tmp_path: Path,
) -> None:
    """``Lineage.open(..., background=True)`` (what ``lineage demo`` and the benches use)
    hands its batches to a second process, but ProcessAppender.submit sends only the
    subjects and bindings of the pending identities: the sealed raw ids are dropped, so
    the store's ``sealed_ids`` stays empty and every reveal answers "recorded before raw
    ids were sealed" for ids recorded by this very version (docs/privacy.md's own
    example, ``lineage impact --author fb:user:102 --reveal``, reveals nothing on the
    demo)."""
    url, ids = slashed_ledger(tmp_path, background=True)
    sealed = sqlite3.connect(tmp_path / "s.db").execute("SELECT count(*) FROM sealed_ids")
    assert sealed.fetchone()[0] == 2  # the author id and the post id
    ledger = Ledger.open(url)
    try:
        admin = KeyDirectory(tmp_path / "keys").load("admin")
        result = reveal(ledger, admin, [ids["post"], ids["author"]], "review")
    finally:
        ledger.close()
    assert result.raw(ids["post"]) == "fb:post:1", result.revealed
    assert result.raw(ids["author"]) == "fb:user:1", result.revealed


def test_the_same_pipeline_in_the_foreground_seals_them(tmp_path: Path) -> None:
    """(Holds: the control for the test above.)"""
    url, ids = slashed_ledger(tmp_path, background=False)
    ledger = Ledger.open(url)
    try:
        admin = KeyDirectory(tmp_path / "keys").load("admin")
        result = reveal(ledger, admin, [ids["post"], ids["author"]], "review")
    finally:
        ledger.close()
    assert result.raw(ids["post"]) == "fb:post:1"
    assert result.raw(ids["author"]) == "fb:user:1"
