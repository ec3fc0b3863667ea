"""The SQLite store's tables: the log, the graph projection, the ancestry index and the
subject key tables (outside the hashed ledger)."""

from __future__ import annotations

LOG_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE entries (
    idx INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE tree_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE signers (
    keyid TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    steps TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    revoked_at TEXT,
    registered_in INTEGER NOT NULL,
    revoked_in INTEGER
) WITHOUT ROWID
"""
EDGES_SCHEMA = """
CREATE TABLE edges (
    down TEXT NOT NULL, up TEXT NOT NULL, kind TEXT NOT NULL,
    entry INTEGER NOT NULL, time_us INTEGER NOT NULL,
    PRIMARY KEY (down, up, kind)
) WITHOUT ROWID;
CREATE INDEX edges_by_up ON edges (up)
"""
STATEMENTS_SCHEMA = """
CREATE TABLE statements (
    entry INTEGER PRIMARY KEY, predicate_type TEXT NOT NULL, step TEXT NOT NULL,
    version TEXT NOT NULL, run TEXT NOT NULL, keyid TEXT NOT NULL, time_us INTEGER NOT NULL
);
CREATE TABLE requests (
    target TEXT NOT NULL, kind TEXT NOT NULL, entry INTEGER NOT NULL, at_us INTEGER NOT NULL,
    time_us INTEGER NOT NULL, PRIMARY KEY (target, kind, entry)
) WITHOUT ROWID
"""
"""The statements and requests of the projection: one row per entry, and few requests."""
PROJECTION_SCHEMA = """
CREATE TABLE nodes (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, attrs TEXT NOT NULL,
    entry INTEGER NOT NULL, time_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER nodes_asserted_once BEFORE INSERT ON nodes
WHEN EXISTS (SELECT 1 FROM nodes WHERE id = NEW.id AND (kind != NEW.kind OR attrs != NEW.attrs))
BEGIN SELECT RAISE(ABORT, 'lineage: node asserted again with other attributes'); END;
CREATE TABLE drops (
    node TEXT NOT NULL, entry INTEGER NOT NULL, reason TEXT NOT NULL, time_us INTEGER NOT NULL,
    PRIMARY KEY (node, entry)
) WITHOUT ROWID
"""
BATCHES_TABLE = (
    "CREATE TABLE IF NOT EXISTS batches (entry INTEGER PRIMARY KEY, items BLOB NOT NULL)"
)
"""Added to ledgers written before Lineage/v2 when they are first opened for writing."""
ANCESTRY_SCHEMA = """
CREATE TABLE ancestry (
    record TEXT NOT NULL, origin TEXT NOT NULL, path TEXT NOT NULL,
    PRIMARY KEY (record, origin)
) WITHOUT ROWID;
CREATE TABLE ancestry_waiting (
    parent TEXT NOT NULL, record TEXT NOT NULL, entry INTEGER NOT NULL,
    PRIMARY KEY (parent, record)
) WITHOUT ROWID
"""
KEY_SCHEMA = """
CREATE TABLE key_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE subject_keys (
    handle INTEGER PRIMARY KEY, lookup BLOB NOT NULL UNIQUE, key BLOB NOT NULL,
    node TEXT NOT NULL UNIQUE
);
CREATE TABLE identities (lookup BLOB PRIMARY KEY, subject INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX identities_by_subject ON identities (subject);
CREATE TABLE sealed_ids (
    lookup BLOB PRIMARY KEY, subject INTEGER NOT NULL, sealed BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX sealed_ids_by_subject ON sealed_ids (subject)
"""
SEALED_IDS_TABLE = (
    "CREATE TABLE IF NOT EXISTS sealed_ids ("
    "lookup BLOB PRIMARY KEY, subject INTEGER NOT NULL, sealed BLOB NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS sealed_ids_by_subject ON sealed_ids (subject)",
)
"""Added to ledgers written before raw ids were sealed when they are first opened for
writing; until then they have nothing to reveal."""
STORE_SCHEMA = (
    LOG_SCHEMA,
    BATCHES_TABLE,
    EDGES_SCHEMA,
    STATEMENTS_SCHEMA,
    PROJECTION_SCHEMA,
    ANCESTRY_SCHEMA,
    KEY_SCHEMA,
)
"""Every table of a store, in creation order."""


def statements_of(*schemas: str) -> list[str]:
    """The single SQL statements of one or more schema texts."""
    return [s.strip() for schema in schemas for s in schema.strip().split(";\n") if s.strip()]
