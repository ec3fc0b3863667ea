"""The server store: a Neo4j database through the official ``neo4j`` driver.

The ledger lives beside the graph: ``(:LedgerEntry {idx, leaf, body})``,
``(:TreeHash {key, hash})`` (``key`` as :func:`node_key`), ``(:Checkpoint {size, note})``,
``(:Signer)``, ``(:LedgerMeta)``.
Each append is one explicit transaction that first takes a write lock on the
``(:LedgerLock)`` node, so appenders are serialised as SQLite's ``BEGIN IMMEDIATE``
serialises them. Neo4j reads are read-committed; :meth:`Neo4jStore.snapshot` gives a
consistent view by bounding every read to the entries that existed when it began
(the log only ever grows). Query texts are constants; values are parameters.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle.nodes import NodeId, node_from_key, node_key
from lineage.crypto.note import with_signature_lines
from lineage.errors import ConfigurationError, InputError, StoreError, StoreUnavailableError
from lineage.model.rows import GraphBatch, ProjectionRow
from lineage.model.signer import Signer
from lineage.model.times import parse_time
from lineage.store.base import (
    ENTRIES_PAGE,
    SCHEMA_VERSION,
    DerivedTable,
    RowDifference,
    stored_items,
)
from lineage.store.neo4j import graph
from lineage.store.neo4j._cypher import NEVER, Run, in_chunks, pages
from lineage.store.neo4j.graph import Neo4jGraph
from lineage.store.neo4j.identities import Neo4jIdentities, save_identity_rows
from lineage.store.neo4j.url import parse_neo4j_url

_LEDGER_CONSTRAINTS = [
    "CREATE CONSTRAINT lineage_meta_key IF NOT EXISTS FOR (m:LedgerMeta) REQUIRE m.key IS UNIQUE",
    "CREATE CONSTRAINT lineage_lock_name IF NOT EXISTS FOR (l:LedgerLock) REQUIRE l.name IS UNIQUE",
    "CREATE CONSTRAINT lineage_entry_idx IF NOT EXISTS FOR (e:LedgerEntry) REQUIRE e.idx IS UNIQUE",
    "CREATE CONSTRAINT lineage_entry_leaf IF NOT EXISTS"
    " FOR (e:LedgerEntry) REQUIRE e.leaf IS UNIQUE",
    "CREATE CONSTRAINT lineage_tree_key IF NOT EXISTS FOR (t:TreeHash) REQUIRE t.key IS UNIQUE",
    "CREATE CONSTRAINT lineage_checkpoint_size IF NOT EXISTS"
    " FOR (c:Checkpoint) REQUIRE c.size IS UNIQUE",
    "CREATE CONSTRAINT lineage_signer_keyid IF NOT EXISTS FOR (s:Signer) REQUIRE s.keyid IS UNIQUE",
    "CREATE CONSTRAINT lineage_secret_name IF NOT EXISTS"
    " FOR (k:KeySecret) REQUIRE k.name IS UNIQUE",
    "CREATE CONSTRAINT lineage_subject_lookup IF NOT EXISTS"
    " FOR (s:SubjectKey) REQUIRE s.lookup IS UNIQUE",
    "CREATE CONSTRAINT lineage_binding_lookup IF NOT EXISTS"
    " FOR (i:IdentityBinding) REQUIRE i.lookup IS UNIQUE",
    "CREATE INDEX lineage_binding_subject IF NOT EXISTS FOR (i:IdentityBinding) ON (i.subject)",
    "CREATE INDEX lineage_subject_node IF NOT EXISTS FOR (s:SubjectKey) ON (s.node)",
]
SCHEMA = _LEDGER_CONSTRAINTS + graph.CONSTRAINTS
SCHEMA_NAMES = frozenset(statement.split()[2] for statement in SCHEMA)
SEALED_SCHEMA = [
    "CREATE CONSTRAINT lineage_sealed_lookup IF NOT EXISTS"
    " FOR (x:SealedId) REQUIRE x.lookup IS UNIQUE",
    "CREATE INDEX lineage_sealed_subject IF NOT EXISTS FOR (x:SealedId) ON (x.subject)",
]
"""Sealed raw ids came later: stores made before them lack these, and are not refused."""

_LOCK = "MATCH (l:LedgerLock {name: 'append'}) SET l.taken = l.taken + 1 RETURN l.taken"
_INIT = """
MERGE (l:LedgerLock {name: 'append'}) ON CREATE SET l.taken = 0
WITH l
UNWIND $meta AS m CREATE (:LedgerMeta {key: m[0], value: m[1]})
WITH DISTINCT l
CREATE (:KeySecret {name: 'index', value: $index_key})
"""
_ANY_NODE = "MATCH (n) RETURN 1 LIMIT 1"
_IS_INITIALIZED = "MATCH (m:LedgerMeta {key: 'schema_version'}) RETURN count(m)"
_META = "MATCH (m:LedgerMeta) RETURN m.key, m.value"
_LAYOUT_KEY, _LAYOUT = "graph_layout", "properties"
"""Metadata of this store alone (not the ledger's, so not copied): node attributes are
properties (:mod:`lineage.store.neo4j.properties`). A ledger without it was made before,
with attributes as one JSON string."""
_LAYOUT_OF = "MATCH (m:LedgerMeta) WHERE m.key IN ['schema_version', $layout] RETURN m.key, m.value"
_SIZE = "MATCH (e:LedgerEntry) WHERE e.idx < $bound RETURN e.idx ORDER BY e.idx DESC LIMIT 1"
_GET_NODES = "UNWIND $keys AS k MATCH (t:TreeHash {key: k}) RETURN t.key, t.hash"
_SIGNERS = (
    "MATCH (s:Signer) WHERE s.registered_in < $bound RETURN s.keyid, s.name, s.public_key,"
    " s.steps, s.valid_from, s.valid_until, s.revoked_at, s.registered_in, s.revoked_in"
    " ORDER BY s.registered_in"
)
_EXISTING_LEAVES = "UNWIND $leaves AS l MATCH (e:LedgerEntry {leaf: l}) RETURN e.leaf"
_ADD_ENTRIES = "UNWIND $rows AS r CREATE (:LedgerEntry {idx: r[0], leaf: r[1], body: r[2]})"
_ADD_BATCHES = "UNWIND $rows AS r MATCH (e:LedgerEntry {idx: r[0]}) SET e.items = r[1]"
_BATCH = "MATCH (e:LedgerEntry {idx: $idx}) WHERE e.idx < $bound RETURN e.items"
_BATCHES_PAGE = (
    "MATCH (e:LedgerEntry) WHERE e.idx > $after AND e.idx < $bound AND e.items IS NOT NULL"
    " RETURN e.idx, e.items ORDER BY e.idx LIMIT $page"
)
_BATCHES_PER_PAGE = 64
_ADD_TREE = "UNWIND $rows AS r CREATE (:TreeHash {key: r[0], hash: r[1]})"
_PUT_SIGNER = """
MERGE (s:Signer {keyid: $keyid})
SET s.name = $name, s.public_key = $public_key, s.steps = $steps, s.valid_from = $valid_from,
    s.valid_until = $valid_until, s.revoked_at = $revoked_at,
    s.registered_in = $registered_in, s.revoked_in = $revoked_in
"""
_META_VALUE = "MATCH (m:LedgerMeta {key: $key}) RETURN m.value"
_PUT_META = "MERGE (m:LedgerMeta {key: $key}) SET m.value = $value"
_ADD_CHECKPOINT = "CREATE (:Checkpoint {size: $size, note: $note})"
_CHECKPOINT_NOTE = "MATCH (c:Checkpoint {size: $size}) RETURN c.note"
_SET_CHECKPOINT_NOTE = "MATCH (c:Checkpoint {size: $size}) SET c.note = $note"
_ENTRY = "MATCH (e:LedgerEntry {idx: $idx}) WHERE e.idx < $bound RETURN e.leaf, e.body"
_FIND_LEAF = "MATCH (e:LedgerEntry {leaf: $leaf}) WHERE e.idx < $bound RETURN e.idx"
_ENTRIES_PAGE = (
    "MATCH (e:LedgerEntry) WHERE e.idx > $after AND e.idx < $bound"
    " RETURN e.idx, e.leaf, e.body ORDER BY e.idx LIMIT $page"
)
_TREE_PAGE = (
    "MATCH (t:TreeHash) WHERE t.key > $after RETURN t.key, t.hash ORDER BY t.key LIMIT $page"
)
_CHECKPOINTS_PAGE = (
    "MATCH (c:Checkpoint) WHERE c.size > $after AND c.size <= $bound"
    " RETURN c.size, c.note ORDER BY c.size LIMIT $page"
)
_LATEST_CHECKPOINT = (
    "MATCH (c:Checkpoint) WHERE c.size <= $bound RETURN c.size, c.note ORDER BY c.size DESC LIMIT 1"
)
_CHECKPOINT_AT = "MATCH (c:Checkpoint {size: $size}) WHERE c.size <= $bound RETURN c.note"
_SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD name RETURN name"
_SHOW_INDEXES = "SHOW INDEXES YIELD name, state WHERE state = 'ONLINE' RETURN name"


def _tree_end(node: NodeId) -> int:
    """How many leaves the log needs before this complete subtree exists."""
    level, index = node
    return (index + 1) << level


def _signer_from_row(row: list[Any], bound: int) -> Signer:
    revoked_later = row[8] is not None and row[8] >= bound
    return Signer(
        keyid=row[0],
        name=row[1],
        public_key=PublicKey.from_b64(row[2]),
        steps=tuple(row[3]),
        valid_from=parse_time(row[4]),
        valid_until=parse_time(row[5]) if row[5] else None,
        revoked_at=parse_time(row[6]) if row[6] and not revoked_later else None,
        registered_in=row[7],
        revoked_in=None if revoked_later else row[8],
    )


def _rows(result: neo4j.Result) -> list[list[Any]]:
    return [record.values() for record in result]


class _LogReads:
    """Reads of the log shared by the store and its append sessions: ``run`` runs a
    query, ``bound`` gives the entry bound of the current snapshot."""

    def __init__(self, run: Run, bound: Callable[[], int]) -> None:
        self._log_run = run
        self._log_bound = bound

    def size(self) -> int:
        """Number of entries in the log."""
        rows = self._log_run(_SIZE, {"bound": self._log_bound()})
        return int(rows[0][0]) + 1 if rows else 0

    def get_nodes(self, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """Stored hashes of the requested complete subtrees."""
        keys = [node_key(n) for n in nodes]
        rows = in_chunks(self._log_run, _GET_NODES, keys, name="keys")
        return {node_from_key(key): bytes(value) for key, value in rows}

    def signers(self) -> list[Signer]:
        """The signer registry, in registration order."""
        bound = self._log_bound()
        try:
            rows = self._log_run(_SIGNERS, {"bound": bound})
            return [_signer_from_row(r, bound) for r in rows]
        except (ValueError, TypeError, InputError) as exc:
            raise StoreError(f"signer registry unreadable: {exc}") from exc

    def meta_value(self, key: str) -> str | None:
        """One metadata value (in an append session, read in its transaction)."""
        rows = self._log_run(_META_VALUE, {"key": key})
        return str(rows[0][0]) if rows else None


def _in_transaction(tx: neo4j.Transaction) -> Run:
    def run(query: str, params: dict[str, Any]) -> list[list[Any]]:
        return _rows(tx.run(query, params))

    return run


class Neo4jSession(_LogReads):
    """One append: an explicit transaction holding the ledger's write lock."""

    def __init__(self, tx: neo4j.Transaction) -> None:
        self._run = _in_transaction(tx)
        super().__init__(self._run, lambda: NEVER)

    def existing_leaves(self, leaf_hashes: Sequence[bytes]) -> set[bytes]:
        """Which of these leaf hashes are already entries of the log."""
        hexes = [leaf.hex() for leaf in leaf_hashes]
        rows = in_chunks(self._run, _EXISTING_LEAVES, hexes, name="leaves")
        return {bytes.fromhex(r[0]) for r in rows}

    def add_entries(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Store new log entries, given as rows of (index, leaf hash, entry bytes)."""
        params = [[idx, leaf.hex(), body] for idx, leaf, body in rows]
        in_chunks(self._run, _ADD_ENTRIES, params)

    def add_batches(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Store the batch items of Lineage/v2 entries (on their entries)."""
        for start in range(0, len(rows), _BATCHES_PER_PAGE):
            chunk = rows[start : start + _BATCHES_PER_PAGE]
            self._run(_ADD_BATCHES, {"rows": [[idx, items] for idx, items in chunk]})

    def add_nodes(self, rows: Sequence[tuple[NodeId, bytes]]) -> None:
        """Store the hashes of newly completed subtrees."""
        params = [[node_key(node), value] for node, value in rows]
        in_chunks(self._run, _ADD_TREE, params)

    def put_signer(self, signer: Signer) -> None:
        """Store a signer's registry row, replacing the one with the same key id."""
        self._run(_PUT_SIGNER, signer.to_json())

    def put_meta(self, key: str, value: str) -> None:
        """Set one metadata value."""
        self._run(_PUT_META, {"key": key, "value": value})

    def save_identities(
        self,
        subjects: list[tuple[bytes, bytes]],
        bindings: list[tuple[bytes, bytes]],
        sealed: list[tuple[bytes, bytes, bytes]] | None = None,
    ) -> dict[bytes, bytes]:
        """Insert new subjects, bindings and sealed raw ids with this append."""
        return save_identity_rows(self._run, subjects, bindings, sealed)

    def add_checkpoint(self, size: int, note: str) -> None:
        """Store the signed checkpoint note of the tree of ``size`` entries."""
        self._run(_ADD_CHECKPOINT, {"size": size, "note": note})

    def cosign_checkpoint(self, size: int, lines: dict[str, str]) -> None:
        """Add witness cosignature lines to the stored note of checkpoint ``size``."""
        rows = self._run(_CHECKPOINT_NOTE, {"size": size})
        if rows:
            note = with_signature_lines(str(rows[0][0]), lines)
            self._run(_SET_CHECKPOINT_NOTE, {"size": size, "note": note})

    def existing_nodes(self, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(kind, attributes JSON, entry) of those graph nodes that are already stored."""
        return graph.existing_nodes(self._run, ids)

    def add_graph(self, batch: GraphBatch) -> None:
        """Write projection rows; nodes, edges and drops already stored are kept as they are."""
        graph.write_batch(self._run, batch.expand())


_DRIVER_ERRORS = (neo4j_errors.Neo4jError, neo4j_errors.DriverError)
_START_SERVER = "is the server running? bash docker/neo4j-server start"


def quiet_driver_logs() -> None:
    """Keep the driver's log records (a lost connection, failed routing) off stderr: lineage
    reports what went wrong itself, as one error. They still reach the handlers a program
    attaches to the ``neo4j`` logger."""
    logger = logging.getLogger("neo4j")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _translate(
    exc: Exception, display: str, user: str | None, connected: bool = False
) -> Exception:
    if isinstance(exc, neo4j_errors.AuthError):
        who = f"user {user!r}" if user else "no user (set LINEAGE_NEO4J_USER / _PASSWORD)"
        return ConfigurationError(f"{display}: Neo4j refused the credentials of {who}")
    if isinstance(exc, neo4j_errors.ClientError) and exc.code and "DatabaseNotFound" in exc.code:
        return ConfigurationError(f"{display}: Neo4j has no such database")
    if isinstance(exc, neo4j_errors.IncompleteCommit):
        return StoreUnavailableError(
            f"{display}: lost the connection to Neo4j while committing, so the write may or"
            f" may not have happened ({_START_SERVER}; then run lineage verify, and the"
            " command again: what is already in the ledger is not written twice)"
        )
    if isinstance(exc, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired):
        if connected:
            return StoreUnavailableError(
                f"{display}: lost the connection to Neo4j ({_START_SERVER}; then run the"
                " command again)"
            )
        return StoreUnavailableError(f"{display}: cannot reach Neo4j ({_START_SERVER})")
    if isinstance(exc, neo4j_errors.Neo4jError):
        message = (exc.message or str(exc)).splitlines()[0][:300]
        return StoreError(f"{display}: Neo4j error {exc.code}: {message}")
    return StoreError(f"{display}: Neo4j driver error: {str(exc).splitlines()[0][:300]}")


class Neo4jStore(_LogReads, Neo4jGraph):
    """The Neo4j implementation of :class:`lineage.store.base.Store`."""

    def __init__(self, url: str, *, create: bool = False) -> None:
        target = parse_neo4j_url(url)
        self.url = target.display
        self.open_url = url
        self._target = target
        self._database = target.database
        self._snapshot_bound: int | None = None
        self._local = threading.local()
        self._sessions: list[neo4j.Session] = []
        self._connected = False
        quiet_driver_logs()
        try:
            self._driver = neo4j.GraphDatabase.driver(
                target.driver_uri,
                auth=target.auth,
                connection_timeout=float(os.environ.get("LINEAGE_NEO4J_TIMEOUT", "10")),
                max_transaction_retry_time=5.0,
                notifications_min_severity="OFF",
                user_agent="lineage",
            )
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise ConfigurationError(f"{self.url}: {exc}") from exc
        self._legacy_layout: bool | None = None
        _LogReads.__init__(self, self._run, self._bound)
        Neo4jGraph.__init__(self, self._run, self._is_legacy)
        try:
            with self._translated():
                self._driver.verify_connectivity()
            self._run("RETURN 1", {})
        except StoreError:
            with suppress(StoreError):
                self.close()
            raise
        self._connected = True

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except _DRIVER_ERRORS as exc:
            raise _translate(exc, self.url, self._target.user, self._connected) from exc

    def _run(self, query: str, params: dict[str, Any]) -> list[list[Any]]:
        """One auto-commit read on this thread's session (one round trip, not three)."""
        session: neo4j.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._driver.session(
                database=self._database,
                default_access_mode=neo4j.READ_ACCESS,
                bookmark_manager=self._driver.execute_query_bookmark_manager,
            )
            self._local.session = session
            self._sessions.append(session)
        try:
            with self._translated():
                return _rows(session.run(query, params))
        except StoreError:
            self._local.session = None
            with suppress(*_DRIVER_ERRORS):
                session.close()
            raise

    def _bound(self) -> int:
        return NEVER if self._snapshot_bound is None else self._snapshot_bound

    def _is_legacy(self) -> bool:
        """Whether this ledger keeps node attributes as one JSON string (made before they
        were properties); known once there is a ledger, and then for good."""
        if self._legacy_layout is None:
            found = dict(self._run(_LAYOUT_OF, {"layout": _LAYOUT_KEY}))
            if "schema_version" not in found:
                return False
            self._legacy_layout = found.get(_LAYOUT_KEY) != _LAYOUT
        return self._legacy_layout

    @contextmanager
    def _write(self) -> Iterator[neo4j.Transaction]:
        session = self._driver.session(
            database=self._database,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )
        with self._translated(), session:
            tx = session.begin_transaction()
            try:
                yield tx
            except BaseException:
                with suppress(*_DRIVER_ERRORS):
                    tx.close()
                raise
            tx.commit()

    def is_initialized(self) -> bool:
        """Whether the store already holds a ledger (its schema and metadata)."""
        return bool(self._run(_IS_INITIALIZED, {})[0][0])

    def initialize(self, meta: dict[str, str], index_key: bytes | None = None) -> None:
        """Create the schema and record ``meta``; refuses a database that holds anything."""
        with self.create_session(meta, index_key):
            pass

    def is_empty(self) -> bool:
        """Whether the database holds no node at all."""
        return not self._run(_ANY_NODE, {})

    @contextmanager
    def create_session(
        self, meta: dict[str, str], index_key: bytes | None = None
    ) -> Iterator[Neo4jSession]:
        """Create the ledger (metadata, index key, append lock) and write into it in one
        transaction: a crash leaves the database as empty as it was. Constraints and
        indexes are created first, on their own (Neo4j keeps schema changes out of data
        transactions); they hold no data."""
        if self.is_initialized():
            raise ConfigurationError(f"{self.url} already holds a ledger")
        if not self.is_empty():
            raise ConfigurationError(f"{self.url} holds other data: not a place for a ledger")
        with self._translated():
            for statement in [*SCHEMA, *SEALED_SCHEMA]:
                self._driver.execute_query(statement, database_=self._database)
        rows = [
            ["schema_version", SCHEMA_VERSION],
            [_LAYOUT_KEY, _LAYOUT],
            *map(list, sorted(meta.items())),
        ]
        with self._write() as tx:
            tx.run(_INIT, {"meta": rows, "index_key": index_key or os.urandom(32)}).consume()
            yield Neo4jSession(tx)

    def meta(self) -> dict[str, str]:
        """The ledger's metadata (origin, log key); refuses a store of another schema version.
        The store's own layout mark is not the ledger's, so not among them."""
        meta = {str(k): str(v) for k, v in self._run(_META, {}) if k != _LAYOUT_KEY}
        version = meta.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigurationError(
                f"{self.url}: store schema version {version}, this lineage reads version"
                f" {SCHEMA_VERSION}"
            )
        return meta

    @contextmanager
    def append_session(self) -> Iterator[Neo4jSession]:
        """Serialised with every other writer; commits on success, rolls back on error."""
        if self._is_legacy():
            raise ConfigurationError(
                f"{self.url} keeps node attributes as one JSON string (made by an earlier"
                " lineage): it can be read and verified, but takes no more appends. Copy it"
                " out and back into an empty database, where attributes become properties:"
                f" lineage copy --from {self.url} --to sqlite:///ledger-copy.db, empty the"
                f" database, then lineage copy --from sqlite:///ledger-copy.db --to {self.url}"
            )
        with self._write() as tx:
            if not _rows(tx.run(_LOCK)):
                raise ConfigurationError(f"{self.url} holds no ledger (create one: lineage init)")
            yield Neo4jSession(tx)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A consistent read view for the duration of the block."""
        if self._snapshot_bound is not None:
            yield
            return
        self._snapshot_bound = self.size()
        try:
            yield
        finally:
            self._snapshot_bound = None

    def entry(self, index: int) -> tuple[bytes, bytes] | None:
        """(leaf hash, entry bytes) of entry ``index``."""
        rows = self._run(_ENTRY, {"idx": index, "bound": self._bound()})
        return (bytes.fromhex(rows[0][0]), bytes(rows[0][1])) if rows else None

    def batch(self, index: int) -> bytes | None:
        """The batch items stored beside entry ``index`` (None for an entry without)."""
        rows = self._run(_BATCH, {"idx": index, "bound": self._bound()})
        return stored_items(rows[0][0]) if rows and rows[0][0] is not None else None

    def iter_batches(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """(entry index, batch items) of every entry that has them, in index order."""
        rows = pages(self._run, _BATCHES_PAGE, start - 1, _BATCHES_PER_PAGE, bound=self._bound())
        for idx, items in rows:
            yield idx, stored_items(items)

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The index of the entry with this leaf hash, or None if it is not in the log."""
        rows = self._run(_FIND_LEAF, {"leaf": leaf_hash.hex(), "bound": self._bound()})
        return int(rows[0][0]) if rows else None

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes, bytes]]:
        """(index, leaf hash, entry bytes) in index order."""
        rows = pages(self._run, _ENTRIES_PAGE, start - 1, ENTRIES_PAGE, bound=self._bound())
        for idx, leaf, body in rows:
            yield idx, bytes.fromhex(leaf), bytes(body)

    def iter_tree_nodes(self) -> Iterator[tuple[NodeId, bytes]]:
        """Every stored complete-subtree hash, in the order of :func:`node_key`."""
        bound = self._bound()
        for key, value in pages(self._run, _TREE_PAGE, -1):
            node = node_from_key(key)
            if _tree_end(node) <= bound:
                yield node, bytes(value)

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        """(size, signed note) in size order."""
        for size, note in pages(self._run, _CHECKPOINTS_PAGE, -1, bound=self._bound()):
            yield int(size), str(note)

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the newest checkpoint, or None if there is none."""
        rows = self._run(_LATEST_CHECKPOINT, {"bound": self._bound()})
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def checkpoint_at(self, size: int) -> str | None:
        """The signed checkpoint note of the tree of ``size`` entries, or None."""
        rows = self._run(_CHECKPOINT_AT, {"size": size, "bound": self._bound()})
        return str(rows[0][0]) if rows else None

    # -- graph projection ---------------------------------------------------------

    def compare_rows(
        self, table: str, expected: Callable[[], Path]
    ) -> Iterator[RowDifference] | None:
        """None: the rows are compared one by one, through :meth:`iter_rows`."""
        return None

    def iter_rows(self, table: str) -> Iterator[ProjectionRow]:
        """Rows of one of :data:`PROJECTION_TABLES` in key order."""
        return graph.iter_rows(self._run, table, self._bound(), self._is_legacy())

    @contextmanager
    def _locked_write(self) -> Iterator[Run]:
        """A write transaction holding the ledger's lock, as a query runner."""
        with self._write() as tx:
            run = _in_transaction(tx)
            run(_LOCK, {})
            yield run

    def identities(self) -> Neo4jIdentities:
        """The subject key tables, kept outside the hashed ledger."""
        return Neo4jIdentities(self.url, self._run, self._locked_write)

    def derived_tables(self) -> Sequence[DerivedTable]:
        """No derived tables: Neo4j answers ancestry from the graph itself."""
        return ()

    def integrity_problems(self) -> list[str]:
        """The schema constraints and indexes that are missing or not online; empty if none."""
        rows = self._run(_SHOW_CONSTRAINTS, {}) + self._run(_SHOW_INDEXES, {})
        present = {str(row[0]) for row in rows}
        if self._is_legacy():
            present |= graph.NEWER_INDEXES
        return [
            f"Neo4j schema: constraint or index {name} is missing or not online"
            for name in sorted(SCHEMA_NAMES - present)
        ]

    def close(self) -> None:
        """Close this store's Neo4j sessions and its driver (all of them, even when one
        fails to close; the first failure is then raised as a :class:`StoreError`)."""
        failures: list[Exception] = []
        closables: list[neo4j.Session | neo4j.Driver] = [*self._sessions, self._driver]
        for closable in closables:
            try:
                closable.close()
            except _DRIVER_ERRORS as exc:
                failures.append(exc)
        self._sessions.clear()
        if failures:
            raise _translate(failures[0], self.url, self._target.user, True) from failures[0]
