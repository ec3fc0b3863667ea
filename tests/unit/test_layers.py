"""Imports only go downward: crypto ← model ← store ← ledger ← ingest / query ← policy ←
evidence / report / export / demo ← the public façade ← CLI; the library never imports the CLI;
store backends are reached only through the store contract."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
FOUNDATION = {
    "lineage.errors",
    "lineage.files",
    "lineage.http_serving",
    "lineage.progress",
    "lineage.faults",
    "lineage.spark_errors",
}
BELOW: dict[str, set[str]] = {
    "foundation": set(),
    "crypto": {"foundation"},
    "model": {"foundation", "crypto"},
    "store": {"foundation", "crypto", "model"},
    "ledger": {"foundation", "crypto", "model", "store"},
    "ingest": {"foundation", "crypto", "model", "store", "ledger"},
    "query": {"foundation", "crypto", "model", "store", "ledger"},
    "policy": {"foundation", "crypto", "model", "store", "ledger", "query"},
    "evidence": {"foundation", "crypto", "model", "store", "ledger", "query", "policy"},
    "transparency": {"foundation", "crypto", "model", "store", "ledger"},
    "report": {
        *("foundation", "crypto", "model", "store", "ledger", "query", "policy", "evidence"),
        "transparency",
    },
    "export": {
        *("foundation", "crypto", "model", "store", "ledger", "ingest", "query", "policy"),
        "evidence",
    },
    "demo": {"foundation", "crypto", "model", "store", "ledger", "ingest", "query", "policy"},
}
BELOW["api"] = set(BELOW) - {"api"}
BELOW["cli"] = set(BELOW) - {"cli"}
STORE_CONTRACT = {"lineage.store", "lineage.store.base"}


def layer_of(module: str) -> str:
    """The layer a module of lineage (or of its CLI) belongs to."""
    if module.startswith("lineage_cli"):
        return "cli"
    if module == "lineage":
        return "api"
    if module in FOUNDATION:
        return "foundation"
    return module.split(".")[1]


def module_name(path: Path) -> str:
    """``src/lineage/ledger/log.py`` -> ``lineage.ledger.log``."""
    relative = path.with_suffix("").parts
    start = relative.index("lineage") if "lineage" in relative else relative.index("lineage_cli")
    names = list(relative[start:])
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names)


def imports_of(source: str, importer: str) -> list[tuple[int, str]]:
    """(line, module) of every import of lineage or its CLI, submodules resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{importer}:{node.lineno}: relative import"
            base = node.module or ""
            if base in ("lineage", "lineage_cli"):
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, base))
    return [
        (line, name) for line, name in found if name.split(".")[0] in ("lineage", "lineage_cli")
    ]


def violations(sources: dict[str, str]) -> list[str]:
    """Every import in ``sources`` (module name -> source text) that breaks the rules."""
    known = set(sources)
    problems = []
    for importer, source in sorted(sources.items()):
        here = layer_of(importer)
        for line, imported in imports_of(source, importer):
            while imported not in known and "." in imported:
                imported = imported.rsplit(".", 1)[0]
            there = layer_of(imported)
            where = f"{importer}:{line} imports {imported}"
            if here != "cli" and there == "cli":
                problems.append(f"{where}: the library never imports the CLI")
            elif there != here and there not in BELOW[here]:
                problems.append(f"{where}: {here} may not import {there}")
            elif (
                here not in ("store", "api", "cli")
                and imported.startswith("lineage.store")
                and imported not in STORE_CONTRACT
            ):
                problems.append(f"{where}: store backends are reached through the contract")
    return problems


def project_sources() -> dict[str, str]:
    files = [*(ROOT / "src").rglob("*.py"), *(ROOT / "cli").rglob("*.py")]
    return {module_name(path): path.read_text() for path in files}


def test_imports_only_go_downward() -> None:
    sources = project_sources()
    assert len(sources) > 60
    assert violations(sources) == []


def test_the_rule_catches_each_kind_of_leak() -> None:
    sources = project_sources()
    leaks = {
        "lineage.crypto.keys": "from lineage.model.times import now\n",
        "lineage.model.graph": "import lineage.ledger.log\n",
        "lineage.ingest.pipeline": "from lineage.query.trace import Trace\n",
        "lineage.query.trace": "from lineage.ingest import pipeline\n",
        "lineage.ledger.expected": "from lineage.store.sqlite import graph\n",
        "lineage.policy.check": "from lineage_cli.common import fail\n",
        "lineage.store.base": "from lineage import Ledger\n",
    }
    for module, line in leaks.items():
        found = violations({**sources, module: sources[module] + line})
        assert len(found) == 1 and found[0].startswith(f"{module}:"), (module, found)
