"""The Cypher queries the README and docs/neo4j.md show, and what each should find on
the hand-built pipeline, by what lineage itself reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lineage.ledger.log import Ledger
from lineage.model.rows import NodeRow, StatementRow
from lineage.store.base import table_rows

ROOT = Path(__file__).parents[2]
DOCUMENTS = ("README.md", "docs/neo4j.md")
_BLOCK = re.compile(r"^```cypher\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_PARAM = re.compile(r"^// :param (\w+) => '([^']*)'$", re.MULTILINE)
KINDS = {
    frozenset({"model", "post"}): "path",
    frozenset({"step", "run"}): "step run",
    frozenset({"author"}): "reach",
}
"""The documented queries, known by the parameters they take."""


@dataclass(frozen=True)
class DocumentedQuery:
    """One ``cypher`` block of a document: its text and the parameters it sets."""

    document: str
    text: str
    params: frozenset[str]

    @property
    def kind(self) -> str:
        """Which of the documented queries it is ("path", "step run", "reach")."""
        return KINDS.get(self.params, "unknown")

    def one_line(self) -> str:
        """The query without its comment lines, on one line (as one types it)."""
        lines = [line.strip() for line in self.text.splitlines()]
        return " ".join(line for line in lines if line and not line.startswith("//"))

    def __str__(self) -> str:
        return f"{self.document}: {self.kind}"


def documented_queries() -> list[DocumentedQuery]:
    """Every ``cypher`` block of :data:`DOCUMENTS`, in order."""
    found = []
    for document in DOCUMENTS:
        text = (ROOT / document).read_text()
        for block in _BLOCK.findall(text):
            params = frozenset(name for name, _ in _PARAM.findall(block))
            found.append(DocumentedQuery(document, block, params))
    return found


def queries_of(kind: str) -> list[DocumentedQuery]:
    """The documented queries of one kind."""
    return [query for query in documented_queries() if query.kind == kind]


def models_reached(ledger: Ledger, author: str) -> set[str]:
    """The models downstream of an author, as lineage walks the graph."""
    walked = ledger.store.walk(author, upstream=False)
    return {row.id for row in walked if row.kind == "Model"}


def step_run_entries(ledger: Ledger, step: str, run: str) -> set[int]:
    """The entries whose statements name this step and run."""
    rows = table_rows(ledger.store, StatementRow)
    return {row.entry for row in rows if (row.step, row.run) == (step, run)}


def nodes_declared_by(ledger: Ledger, entries: set[int]) -> set[str]:
    """The ids of the nodes these entries declared."""
    return {row.id for row in table_rows(ledger.store, NodeRow) if row.entry in entries}
