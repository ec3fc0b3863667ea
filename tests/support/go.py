"""Building the independent Go programs under verifiers/ for the tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

VERIFIERS = Path(__file__).parents[2] / "verifiers"


def build_go(module: str, binary: str, out: Path) -> Path:
    """Build ``verifiers/<module>`` into ``out`` with its build.sh; the binary's path.
    Skips when Go is not installed."""
    if shutil.which("go") is None:
        pytest.skip("Go toolchain not installed: the Go verifiers need `go` on PATH")
    subprocess.run(
        ["sh", str(VERIFIERS / module / "build.sh"), str(out)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return out / binary
