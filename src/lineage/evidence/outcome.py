"""What checking a bundle works with: the items it proved disclosed, and the first check
that failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.model.statement import Statement


@dataclass(frozen=True)
class Disclosed:
    """A disclosed item, proven: its entry, position, section and value."""

    entry: int
    position: int
    section: str
    value: list[Any]


@dataclass(frozen=True)
class ProvenEntry:
    """An entry of the bundle whose signature, signer and inclusion are checked."""

    keyid: str
    statement: Statement


class NotProvenError(Exception):
    """The first check a bundle fails: its class, where, and what was found."""

    def __init__(self, kind: str, where: str, detail: str) -> None:
        self.kind, self.where, self.detail = kind, where, detail
        super().__init__(f"NOT PROVEN: {kind} at {where}: {detail}")


def claim_failure(detail: str) -> NotProvenError:
    """The failure of a claim (class ``claim``, at ``claim``)."""
    return NotProvenError("claim", "claim", detail)
