"""Files are written whole or not at all: the target is replaced in one rename, readable
as a normal file, and a failed write leaves neither a partial target nor a temporary
file behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lineage.files import write_whole


def test_the_target_is_replaced_whole_with_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_bytes(b"old")
    write_whole(target, b"new page")
    assert target.read_bytes() == b"new page"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_failed_write_leaves_the_old_file_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        write_whole(target, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
