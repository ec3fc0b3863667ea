"""Queries over many ids at once in SQLite: ``IN (?, ?, …)`` in chunks SQLite accepts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

IN_CHUNK = 500


def rows_in(db: sqlite3.Connection, query: str, ids: Sequence[Any], *after: Any) -> Iterator[Any]:
    """Rows of ``query`` for successive chunks of ``ids``: its ``{marks}`` becomes one
    placeholder per id of the chunk, bound first; ``after`` are bound after them."""
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        yield from db.execute(query.format(marks=marks), [*chunk, *after])
