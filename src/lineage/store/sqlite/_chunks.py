"""Queries over many ids at once in SQLite: ``IN (?, ?, …)`` in chunks SQLite accepts, or
a JSON array of ids joined through ``json_each`` (one parameter, cheaper for thousands)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

IN_CHUNK = 500


def rows_in(db: sqlite3.Connection, query: str, ids: Sequence[Any], *after: Any) -> list[Any]:
    """Rows of ``query`` for successive chunks of ``ids``, in chunk order: its ``{marks}``
    becomes one placeholder per id of the chunk, bound first; ``after`` are bound after."""
    rows: list[Any] = []
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows.extend(db.execute(query.format(marks=marks), [*chunk, *after]).fetchall())
    return rows


LISTED_CHUNK = 5000


def listed_rows(db: sqlite3.Connection, query: str, ids: Sequence[str], *after: Any) -> list[Any]:
    """Rows of ``query`` for successive chunks of ``ids``, in chunk order: its first
    parameter is the chunk as a JSON array (for ``json_each(?1)``), ``after`` the next."""
    rows: list[Any] = []
    for start in range(0, len(ids), LISTED_CHUNK):
        chunk = json.dumps(ids[start : start + LISTED_CHUNK])
        rows.extend(db.execute(query, (chunk, *after)).fetchall())
    return rows
