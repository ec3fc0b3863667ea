"""DuckDB over the lake's listed Parquet parts.

A query is a constant template naming tables as ``{nodes}``, ``{edges}``, ``{drops}`` or
``{batches}``; each becomes ``read_parquet($<table>_files)`` over the parts the log's
current transaction lists (or an empty table of the same columns when there are none).
Values are always bound as parameters.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from lineage.errors import StoreError
from lineage.store.lake.bloom import BloomFilter, key_hashes
from lineage.store.lake.parts import PARTS_DIR, PartFiles, listed_files
from lineage.store.lake.tables import COLUMNAR_TABLES, empty_table_sql

DUCKDB_MEMORY = "512MB"
"""DuckDB's memory limit: larger joins spill to its temporary directory."""
FETCH_ROWS = 5000
_MAX_BLOOMS = 4096
"""Filters kept in memory (parts never change, so a filter read once stays right)."""


class Columnar:
    """One in-memory DuckDB database reading the lake's parts."""

    def __init__(self, files: PartFiles, log: sqlite3.Connection) -> None:
        self._files = files
        self._log = log
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._blooms: dict[str, BloomFilter | None] = {}
        self._spill = ""

    @property
    def _duck(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB database, opened at the first read (a command that reads only the
        log never starts it)."""
        if self._connection is None:
            # spilled rows go to a directory of this process's own, readable by it alone
            self._spill = tempfile.mkdtemp(prefix="lineage-duckdb-")
            connection = duckdb.connect(
                ":memory:",
                config={
                    "threads": 2,
                    "memory_limit": DUCKDB_MEMORY,
                    "temp_directory": self._spill,
                },
            )
            connection.execute("SET parquet_metadata_cache = true")
            connection.execute("SET preserve_insertion_order = false")
            for table in COLUMNAR_TABLES:
                connection.execute(empty_table_sql(table))
            self._connection = connection
        return self._connection

    def candidates(self, table: str, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """The parts of ``table`` whose filter may hold one of ``ids``, and those ids:
        what a lookup of ``ids`` must read (parts without a filter are always read)."""
        parts = listed_files(self._log, table)
        self._forget_unlisted(table, parts)
        if not ids or not parts:
            return [], []
        hashes = key_hashes(ids)
        chosen: list[str] = []
        wanted = np.zeros(len(ids), dtype=bool)
        for part in parts:
            bloom = self._bloom(part)
            hits = bloom.might_hold(hashes) if bloom is not None else np.ones(len(ids), bool)
            if hits.any():
                chosen.append(part)
                wanted |= hits
        return chosen, [ids[int(n)] for n in np.flatnonzero(wanted)]

    def _forget_unlisted(self, table: str, parts: list[str]) -> None:
        """Drop the filters of ``table``'s parts that compaction has merged away (the
        filter of a large merged part is megabytes)."""
        listed = set(parts)
        folder = f"{PARTS_DIR}/{table}/"
        for part in [p for p in self._blooms if p.startswith(folder) and p not in listed]:
            del self._blooms[part]

    def _bloom(self, part: str) -> BloomFilter | None:
        if part not in self._blooms:
            if len(self._blooms) >= _MAX_BLOOMS:
                self._blooms.clear()
            self._blooms[part] = self._files.bloom(part)
        return self._blooms[part]

    def _sources(
        self, template: str, only: dict[str, list[str]] | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        sources: dict[str, str] = {}
        params: dict[str, Any] = {}
        for table in COLUMNAR_TABLES:
            if "{" + table + "}" not in template:
                continue
            listed = only[table] if only and table in only else listed_files(self._log, table)
            files = [str(self._files.path(f)) for f in listed]
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
        only: dict[str, list[str]] | None = None,
        **params: Any,
    ) -> duckdb.DuckDBPyConnection:
        """Run ``template`` with ``params`` bound, on ``cursor`` (its temporary tables)
        or a new one, over every listed part or, for the tables in ``only``, those
        parts; the cursor to fetch from."""
        sources, files = self._sources(template, only)
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

    def rows(
        self, template: str, only: dict[str, list[str]] | None = None, **params: Any
    ) -> list[tuple[Any, ...]]:
        """Every row of ``template`` (over the parts in ``only``, for those tables)."""
        cursor = self.execute(template, None, only, **params)
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

    def scratch_file(self, suffix: str) -> Path:
        """A new file name in this process's private spill directory."""
        _ = self._duck  # the directory is made with the database
        return Path(self._spill) / f"{uuid.uuid4().hex}{suffix}"

    def close(self) -> None:
        """Close the DuckDB database, if it was opened, and remove what it spilled."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            shutil.rmtree(self._spill, ignore_errors=True)
