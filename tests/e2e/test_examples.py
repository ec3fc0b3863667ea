"""The pipeline example (shown in docs/pipeline.md) runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "pipeline.py"


def test_pipeline_example_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "has 2 origins: {'facebook': 1, 'instagram': 1}" in result.stdout
    assert "'reason': 'not-public', 'count': 1" in result.stdout
    assert "verify: ok" in result.stdout


def test_the_pipeline_docs_show_the_example() -> None:
    doc = (EXAMPLE.parent.parent / "docs" / "pipeline.md").read_text()
    assert "examples/pipeline.py" in doc
    assert "collect.origin(post_id, platform=platform" in doc
