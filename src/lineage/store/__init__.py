"""Stores, chosen by URL scheme: ``sqlite:///path`` (embedded default),
``lake:///directory`` (columnar: the log in SQLite, the graph in Parquet, read with
DuckDB) or ``neo4j://host:7687`` (and ``bolt://``, ``neo4j+s://``…: a Neo4j server)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lineage.errors import ConfigurationError
from lineage.store.base import AppendSession, Store
from lineage.store.neo4j.url import SCHEMES as NEO4J_SCHEMES
from lineage.store.sqlite.store import SqliteStore


def _neo4j(url: str, create: bool, read_only: bool) -> Store:
    from lineage.store.neo4j.store import Neo4jStore

    return Neo4jStore(url, create=create)


def _lake(url: str, create: bool, read_only: bool) -> Store:
    from lineage.store.lake.store import LakeStore

    return LakeStore(url, create=create, read_only=read_only)


DEFAULT_URL = "sqlite:///./lineage.db"
URL_ENV = "LINEAGE_DB"

_FACTORIES: dict[str, Callable[[str, bool, bool], Store]] = {
    "sqlite": lambda url, create, read_only: SqliteStore(url, create=create, read_only=read_only),
    "lake": _lake,
    **{scheme: _neo4j for scheme in NEO4J_SCHEMES},
}


KEYS_DIR_NAME = "lineage-keys"


def default_keys_dir(url: str | None) -> Path:
    """Where a ledger's key files live unless told otherwise: beside a SQLite ledger's
    file or a lake's directory (``<their directory>/lineage-keys``), else
    ``./lineage-keys``."""
    resolved = resolve_url(url)
    for prefix in ("sqlite:///", "lake:///"):
        if resolved.startswith(prefix) and len(resolved) > len(prefix):
            return Path(resolved[len(prefix) :].rstrip("/")).parent / KEYS_DIR_NAME
    return Path(KEYS_DIR_NAME)


def resolve_url(url: str | None) -> str:
    """The store URL to use: ``url``, else ``LINEAGE_DB``, else the default SQLite file."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


ENGINES = ("duckdb", "spark")
"""Engines that run a lake store's graph queries (other stores have their own)."""


def open_store(
    url: str | None = None,
    *,
    create: bool = False,
    read_only: bool = False,
    engine: str = "duckdb",
) -> Store:
    """Open the store named by ``url`` (or ``LINEAGE_DB``, or the default).

    Without ``create``, the store must hold a ledger (nothing is created or changed to
    find out). ``read_only`` promises that nothing will be written: a SQLite file is then
    opened read-only, and so it is anyway when the file or its directory is not
    writable (a ledger on read-only media)."""
    resolved = resolve_url(url)
    scheme = resolved.split(":", 1)[0]
    factory = _FACTORIES.get(scheme)
    if factory is None:
        known = ", ".join(f"{s}://" for s in sorted(_FACTORIES))
        raise ConfigurationError(f"unknown store URL scheme {scheme!r} (known: {known})")
    if create and read_only:
        raise ConfigurationError("a store cannot be created read-only")
    if engine not in ENGINES:
        raise ConfigurationError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if engine == "spark":
        if create:
            raise ConfigurationError("--engine spark reads a lake; it does not create one")
        if scheme != "lake":
            raise ConfigurationError(
                f"--engine spark queries a lake store's Parquet parts, and {scheme}:// has none"
                " (copy the ledger into one: lineage copy --to lake:///DIR)"
            )
        try:
            from lineage.store.spark.store import SparkLakeStore
        except ImportError as exc:
            raise ConfigurationError(
                "--engine spark needs pyspark (pip install 'lineage[spark]') and Java 17+"
            ) from exc

        return SparkLakeStore(resolved, read_only=read_only)
    return factory(resolved, create, read_only)


__all__ = [
    "DEFAULT_URL",
    "ENGINES",
    "AppendSession",
    "Store",
    "default_keys_dir",
    "open_store",
    "resolve_url",
]
