"""DuckDB over the lake's listed Parquet parts.

A query is a constant template naming tables as ``{nodes}``, ``{edges}``, ``{drops}`` or
``{batches}``; each becomes ``read_parquet($<table>_files)`` over the parts the log's
current transaction lists (or an empty table of the same columns when there are none).
Values are always bound as parameters.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from lineage.errors import StoreError
from lineage.store.lake.parts import PartFiles, listed_files
from lineage.store.lake.tables import COLUMNAR_TABLES, empty_table_sql

DUCKDB_MEMORY = "1GB"
"""DuckDB's memory limit: larger joins spill to its temporary directory."""
FETCH_ROWS = 5000


class Columnar:
    """One in-memory DuckDB database reading the lake's parts."""

    def __init__(self, files: PartFiles, log: sqlite3.Connection) -> None:
        self._files = files
        self._log = log
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def _duck(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB database, opened at the first read (a command that reads only the
        log never starts it)."""
        if self._connection is None:
            connection = duckdb.connect(
                ":memory:",
                config={
                    "threads": 2,
                    "memory_limit": DUCKDB_MEMORY,
                    "temp_directory": str(Path(tempfile.gettempdir()) / "lineage-duckdb"),
                },
            )
            connection.execute("SET parquet_metadata_cache = true")
            for table in COLUMNAR_TABLES:
                connection.execute(empty_table_sql(table))
            self._connection = connection
        return self._connection

    def _sources(self, template: str) -> tuple[dict[str, str], dict[str, Any]]:
        sources: dict[str, str] = {}
        params: dict[str, Any] = {}
        for table in COLUMNAR_TABLES:
            if "{" + table + "}" not in template:
                continue
            files = [str(self._files.path(f)) for f in listed_files(self._log, table)]
            if files:
                sources[table] = f"read_parquet(${table}_files)"
                params[f"{table}_files"] = files
            else:
                sources[table] = f"empty_{table}"
        return sources, params

    def execute(
        self,
        template: str,
        cursor: duckdb.DuckDBPyConnection | None = None,
        **params: Any,
    ) -> duckdb.DuckDBPyConnection:
        """Run ``template`` with ``params`` bound, on ``cursor`` (its temporary tables)
        or a new one; the cursor to fetch from."""
        sources, files = self._sources(template)
        own = cursor is None
        if cursor is None:
            cursor = self._duck.cursor()
        try:
            return cursor.execute(template.format(**sources), {**files, **params})
        except duckdb.Error as exc:
            if own:
                cursor.close()
            raise StoreError(f"{self._files.root}: reading the parts failed: {exc}") from exc

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for several statements sharing temporary tables."""
        cursor = self._duck.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def rows(self, template: str, **params: Any) -> list[tuple[Any, ...]]:
        """Every row of ``template``."""
        cursor = self.execute(template, **params)
        try:
            return cursor.fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"{self._files.root}: reading the parts failed: {exc}") from exc
        finally:
            cursor.close()

    def stream(self, template: str, **params: Any) -> Iterator[tuple[Any, ...]]:
        """The rows of ``template``, fetched a few thousand at a time."""
        cursor = self.execute(template, **params)
        try:
            while rows := cursor.fetchmany(FETCH_ROWS):
                yield from rows
        except duckdb.Error as exc:
            raise StoreError(f"{self._files.root}: reading the parts failed: {exc}") from exc
        finally:
            cursor.close()

    def close(self) -> None:
        """Close the DuckDB database, if it was opened."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
