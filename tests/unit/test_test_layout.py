"""The suite's layout rule: test modules share helpers through ``support`` only.

No test module imports another test module or ``conftest`` (fixtures reach tests
through pytest, helpers through :mod:`support`), and nothing in ``support``
imports a test module either.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parents[1]


def imported_modules(path: Path) -> set[str]:
    """The top-level names of the modules ``path`` imports, anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    sources = sorted(TESTS.rglob("*.py"))
    assert len([p for p in sources if p.stem.startswith("test_")]) > 20
    problems = [
        f"{path.relative_to(TESTS)} imports {name}"
        for path in sources
        for name in sorted(imported_modules(path))
        if name.startswith("test_") or name == "conftest"
    ]
    assert problems == [], "import shared helpers from support.…, not from: " + "; ".join(problems)
