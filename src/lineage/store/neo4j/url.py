"""Neo4j store URLs: ``neo4j://[user[:password]@]host[:port][/database]``.

Credentials come from the URL or from ``LINEAGE_NEO4J_USER`` / ``LINEAGE_NEO4J_PASSWORD``;
the database from the path, ``LINEAGE_NEO4J_DATABASE``, or ``neo4j``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lineage.errors import ConfigurationError

SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
USER_ENV, PASSWORD_ENV, DATABASE_ENV = (
    "LINEAGE_NEO4J_USER",
    "LINEAGE_NEO4J_PASSWORD",
    "LINEAGE_NEO4J_DATABASE",
)
DEFAULT_DATABASE = "neo4j"
_MAX_URL = 2000


@dataclass(frozen=True)
class Neo4jTarget:
    """Where to connect and as whom; ``display`` never carries the password."""

    driver_uri: str
    database: str
    user: str | None
    password: str | None
    display: str

    @property
    def auth(self) -> tuple[str, str] | None:
        """The driver's (user, password) credentials, or None to connect without a user."""
        if self.user is None:
            return None
        return (self.user, self.password or "")


def parse_neo4j_url(url: str) -> Neo4jTarget:
    """Split a Neo4j store URL into driver URI, database, credentials and a safe display form."""
    if len(url) > _MAX_URL:
        raise ConfigurationError(f"store URL is longer than {_MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"store URL {_redacted(url)!r} is malformed: {exc}") from exc
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ConfigurationError(
            f"store URL {_redacted(url)!r} must look like neo4j://host:7687[/database]"
        )
    user = unquote(parts.username) if parts.username else os.environ.get(USER_ENV)
    password = unquote(parts.password) if parts.password else os.environ.get(PASSWORD_ENV)
    database = unquote(parts.path.strip("/")) or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE
    if "/" in database or len(database) > 63:
        raise ConfigurationError(f"store URL names an invalid database {database!r}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    address = host if port is None else f"{host}:{port}"
    shown_user = f"{unquote(parts.username)}@" if parts.username else ""
    return Neo4jTarget(
        driver_uri=f"{parts.scheme}://{address}",
        database=database,
        user=user,
        password=password,
        display=f"{parts.scheme}://{shown_user}{address}/{database}",
    )


def _redacted(url: str) -> str:
    """``url`` without whatever sits between ``://`` and ``@`` (it may hold a password)."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url[:200]
    return f"{head}://***@{rest.rpartition('@')[2]}"[:200]
