"""Real witnesses for the tests: litewitness (filippo.io/torchwood v0.6.1) on loopback.

``tools/test`` starts two and names their ``witnesses.json`` in
``LINEAGE_TEST_WITNESSES``; without it the session starts its own with ``tools/witness``
(Go needed). Without witnesses the tests skip, unless ``LINEAGE_REQUIRE_WITNESS=1`` (set by
``tools/test``): then they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tools" / "witness"
REQUIRED = os.environ.get("LINEAGE_REQUIRE_WITNESS") == "1"


@dataclass(frozen=True)
class RealWitness:
    """One running witness: its name, URL and verifier key."""

    name: str
    url: str
    vkey: str


@dataclass(frozen=True)
class WitnessPool:
    """The running witnesses, and how to register a log with them."""

    directory: Path
    witnesses: list[RealWitness]

    def register(self, origin: str, log_vkey: str) -> None:
        """Tell every witness to accept checkpoints of ``origin`` signed by ``log_vkey``."""
        subprocess.run(
            ["bash", str(SCRIPT), "add-log", str(self.directory), origin, log_vkey],
            check=True,
            capture_output=True,
            timeout=60,
        )


def _load(path: Path) -> WitnessPool:
    raw = json.loads(path.read_text())
    found = [RealWitness(w["name"], w["url"], w["vkey"]) for w in raw["witnesses"]]
    return WitnessPool(path.parent, found)


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"LINEAGE_REQUIRE_WITNESS=1 but {reason}")
    pytest.skip(reason)


def witness_pool(tmp_dir: Path) -> Iterator[WitnessPool]:
    """The session's witnesses (from tools/test, else started here and stopped after)."""
    given = os.environ.get("LINEAGE_TEST_WITNESSES")
    if given:
        yield _load(Path(given))
        return
    directory = tmp_dir / "witnesses"
    try:
        done = subprocess.run(
            ["bash", str(SCRIPT), "start", str(directory), "2"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"could not start witnesses with tools/witness: {exc}")
        return
    if done.returncode != 0:
        _unavailable(f"tools/witness start failed: {done.stderr.strip()[-500:]}")
        return
    try:
        yield _load(directory / "witnesses.json")
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(directory)], capture_output=True, timeout=60
        )
