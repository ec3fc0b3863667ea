"""Every module, public function, public class and public method of the library and the
CLI has a docstring saying what it is for."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGES = ("src/lineage", "cli/lineage_cli")

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def is_public(name: str) -> bool:
    """Whether a module-level or class-level name is part of the public surface."""
    return not name.startswith("_")


def undocumented(source: str, path: str) -> list[str]:
    """``path:line name`` of the module, and of each public function, class or method of
    a public class, in ``source`` that has no docstring."""
    tree = ast.parse(source)
    missing: list[str] = []
    if ast.get_docstring(tree) is None:
        missing.append(f"{path}:1 <module>")
    for node in tree.body:
        if not isinstance(node, Definition) or not is_public(node.name):
            continue
        if ast.get_docstring(node) is None:
            missing.append(f"{path}:{node.lineno} {node.name}")
        if not isinstance(node, ast.ClassDef):
            continue
        for member in node.body:
            if (
                isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                and is_public(member.name)
                and ast.get_docstring(member) is None
            ):
                missing.append(f"{path}:{member.lineno} {node.name}.{member.name}")
    return missing


def project_offenders() -> list[str]:
    """Every missing docstring across the library and the CLI."""
    files = sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))
    assert len(files) > 60
    offenders: list[str] = []
    for path in files:
        offenders.extend(undocumented(path.read_text(), str(path.relative_to(ROOT))))
    return offenders


def test_every_public_definition_has_a_docstring() -> None:
    offenders = project_offenders()
    assert not offenders, "missing docstrings:\n" + "\n".join(offenders)


def test_the_checker_reports_a_missing_docstring() -> None:
    source = '''"""A module."""


def documented() -> None:
    """Do something."""


def forgotten() -> None:
    pass


def _private() -> None:
    pass


class Shape:
    """A shape."""

    def area(self) -> float:
        return 0.0

    def _helper(self) -> None:
        pass

    def __len__(self) -> int:
        return 0
'''
    assert undocumented(source, "pkg/mod.py") == [
        "pkg/mod.py:8 forgotten",
        "pkg/mod.py:19 Shape.area",
    ]
    assert undocumented("x = 1\n", "pkg/empty.py") == ["pkg/empty.py:1 <module>"]
