"""The embedded store: one SQLite file in WAL mode, every append one transaction."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle.nodes import NodeId, node_from_key, node_key
from lineage.crypto.note import with_signature_lines
from lineage.errors import ConfigurationError, InputError, NodeConflictError, StoreError
from lineage.model.rows import GraphBatch, ProjectionRow
from lineage.model.signer import Signer
from lineage.model.times import format_time, parse_time
from lineage.store.base import (
    ENTRIES_PAGE,
    SCHEMA_VERSION,
    DerivedTable,
    RowDifference,
    stored_items,
)
from lineage.store.sqlite import graph
from lineage.store.sqlite._chunks import rows_in
from lineage.store.sqlite.ancestry import AncestryTable
from lineage.store.sqlite.graph import SqliteGraph
from lineage.store.sqlite.identities import SqliteIdentities, save_identity_rows
from lineage.store.sqlite.schema import (
    BATCHES_TABLE,
    SEALED_IDS_TABLE,
    STORE_SCHEMA,
    statements_of,
)

_LEDGER_TABLES = frozenset({"meta", "entries", "tree_nodes", "checkpoints"})
"""Tables whose presence makes a SQLite file a ledger (its schema version is checked
when the metadata is read)."""
_BUSY_TIMEOUT_MS = 120_000
CACHE_KIB = 32 * 1024
"""Page cache per connection: large graphs insert into several random-keyed B-trees."""


def _writable(path: Path) -> bool:
    """Whether lineage may write this database (and the files SQLite keeps beside it)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def path_from_url(url: str) -> Path:
    """The database file path of a ``sqlite:///path`` store URL."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ConfigurationError(f"store URL {url!r} must look like sqlite:///path/to/lineage.db")
    return Path(url[len(prefix) :])


def _signer_row(signer: Signer) -> tuple[object, ...]:
    return (
        signer.keyid,
        signer.name,
        signer.public_key.b64(),
        json.dumps(list(signer.steps)),
        format_time(signer.valid_from),
        format_time(signer.valid_until) if signer.valid_until else None,
        format_time(signer.revoked_at) if signer.revoked_at else None,
        signer.registered_in,
        signer.revoked_in,
    )


def _signer_from_row(row: sqlite3.Row) -> Signer:
    return Signer(
        keyid=row[0],
        name=row[1],
        public_key=PublicKey.from_b64(row[2]),
        steps=tuple(json.loads(row[3])),
        valid_from=parse_time(row[4]),
        valid_until=parse_time(row[5]) if row[5] else None,
        revoked_at=parse_time(row[6]) if row[6] else None,
        registered_in=row[7],
        revoked_in=row[8],
    )


class _LogReads:
    """Reads of the log, shared by the store and its append sessions."""

    _db: sqlite3.Connection

    def size(self) -> int:
        row = self._db.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries").fetchone()
        return int(row[0])

    def get_nodes(self, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        query = "SELECT id, hash FROM tree_nodes WHERE id IN ({marks})"
        rows = rows_in(self._db, query, [node_key(n) for n in nodes])
        return {node_from_key(key): bytes(value) for key, value in rows}

    def signers(self) -> list[Signer]:
        try:
            rows = self._db.execute("SELECT * FROM signers ORDER BY registered_in").fetchall()
            return [_signer_from_row(row) for row in rows]
        except (sqlite3.DatabaseError, ValueError, InputError) as exc:
            raise StoreError(f"signer registry unreadable: {exc}") from exc

    def meta_value(self, key: str) -> str | None:
        """One metadata value (in an append session, read in its transaction)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None


class SqliteSession(_LogReads):
    """One append: a transaction holding SQLite's write lock."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def finish(self) -> None:
        """Called once everything is added, before the commit: SQLite has written it all."""

    def discard(self) -> None:
        """Called when the append fails, before the rollback: nothing to undo outside SQLite."""

    def existing_leaves(self, leaf_hashes: Sequence[bytes]) -> set[bytes]:
        """Which of these leaf hashes are already entries of the log."""
        query = "SELECT leaf_hash FROM entries WHERE leaf_hash IN ({marks})"
        return {bytes(r[0]) for r in rows_in(self._db, query, leaf_hashes)}

    def add_entries(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Store new log entries, given as rows of (index, leaf hash, entry bytes)."""
        self._db.executemany("INSERT INTO entries (idx, leaf_hash, body) VALUES (?, ?, ?)", rows)

    def add_batches(self, rows: Sequence[tuple[int, bytes]]) -> None:
        """Store the batch items of Lineage/v2 entries."""
        self._db.executemany("INSERT INTO batches (entry, items) VALUES (?, ?)", rows)

    def add_nodes(self, rows: Sequence[tuple[NodeId, bytes]]) -> None:
        """Store the hashes of newly completed subtrees."""
        self._db.executemany(
            "INSERT INTO tree_nodes (id, hash) VALUES (?, ?)",
            [(node_key(node), value) for node, value in rows],
        )

    def put_signer(self, signer: Signer) -> None:
        """Store a signer's registry row, replacing the one with the same key id."""
        self._db.execute(
            "INSERT OR REPLACE INTO signers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _signer_row(signer)
        )

    def put_meta(self, key: str, value: str) -> None:
        """Set one metadata value."""
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def save_identities(
        self,
        subjects: list[tuple[bytes, bytes]],
        bindings: list[tuple[bytes, bytes]],
        sealed: list[tuple[bytes, bytes, bytes]] | None = None,
    ) -> dict[bytes, bytes]:
        """Insert new subjects, bindings and sealed raw ids with this append."""
        return save_identity_rows(self._db, subjects, bindings, sealed)

    def add_checkpoint(self, size: int, note: str) -> None:
        """Store the signed checkpoint note of the tree of ``size`` entries."""
        self._db.execute("INSERT INTO checkpoints (size, note) VALUES (?, ?)", (size, note))

    def cosign_checkpoint(self, size: int, lines: dict[str, str]) -> None:
        """Add witness cosignature lines to the stored note of checkpoint ``size``."""
        row = self._db.execute("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
        if row is not None:
            note = with_signature_lines(str(row[0]), lines)
            self._db.execute("UPDATE checkpoints SET note = ? WHERE size = ?", (note, size))

    def existing_nodes(self, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(kind, attributes JSON, entry) of those graph nodes that are already stored."""
        return graph.existing_nodes(self._db, ids)

    def add_graph(self, batch: GraphBatch) -> None:
        """Write projection rows; nodes, edges and drops already stored are kept as they are."""
        try:
            graph.write_batch(self._db, batch.expand())
        except sqlite3.IntegrityError as exc:
            if "node asserted again" in str(exc):
                raise NodeConflictError("a node is asserted again with other attributes") from exc
            raise


class SqliteStore(_LogReads, SqliteGraph):
    """The SQLite implementation of :class:`lineage.store.base.Store`."""

    SCHEMA: tuple[str, ...] = STORE_SCHEMA
    """The tables a new ledger gets."""
    KEEPS_BATCHES = True
    """Whether batch items live in the ``batches`` table (added to older ledgers)."""

    def __init__(self, url: str, *, create: bool = False, read_only: bool = False) -> None:
        self.url = self.open_url = url
        self.path = self.database_path(url)
        exists = self.path.exists()
        if not exists and not create:
            raise ConfigurationError(f"no ledger at {self.path} (create one with: lineage init)")
        if not exists:
            self._create_private_file()
        self.read_only = read_only or not _writable(self.path)
        try:
            self._db = self._connect()
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a SQLite database ({exc})") from exc
        ledger = tables >= _LEDGER_TABLES
        if not ledger and (tables or not create):
            self._db.close()
            if tables:
                raise ConfigurationError(
                    f"{self.path} is not a lineage ledger: it holds other tables"
                )
            raise ConfigurationError(f"{self.path} is empty (create a ledger with: lineage init)")
        if ledger and not self.read_only:
            self._refuse_shared_file()
        self._configure()
        self._has_batches = "batches" in tables
        if ledger and self.KEEPS_BATCHES and not self._has_batches and not self.read_only:
            self._db.execute(BATCHES_TABLE)
            self._has_batches = True
        if ledger and not self.read_only and "sealed_ids" not in tables:
            for statement in SEALED_IDS_TABLE:
                self._db.execute(statement)
        SqliteGraph.__init__(self, self._db)

    @staticmethod
    def database_path(url: str) -> Path:
        """The database file of the store at ``url``."""
        return path_from_url(url)

    def _refuse_shared_file(self) -> None:
        """A ledger holds subject keys: lineage writes only to a file no one else can read."""
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            self._db.close()
            raise ConfigurationError(
                f"{self.path} is readable by others (mode {mode:o}) but holds subject keys:"
                f" chmod 600 {self.path} (and any -wal and -shm files beside it)"
            )

    def _create_private_file(self) -> None:
        """Create the (empty) database file readable by its owner only: it holds key
        secrets. SQLite gives its write-ahead log and index files the same mode."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot be created: {exc.strerror}") from exc

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            # a read-only directory cannot hold the write-ahead log's index: read the file
            # as it is (immutable), which is what a ledger on read-only media is
            immutable = ""
            if not os.access(self.path.parent, os.W_OK):
                self._refuse_unmerged_wal()
                immutable = "&immutable=1"
            uri = f"{self.path.resolve().as_uri()}?mode=ro{immutable}"
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        return sqlite3.connect(
            self.path,
            isolation_level=None,
            timeout=_BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
        )

    def _refuse_unmerged_wal(self) -> None:
        """Read as it is, the file would not show what its write-ahead log holds."""
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ConfigurationError(
                f"{self.path}: its write-ahead log {wal.name} holds changes not yet in the"
                " file, and the directory is read-only: copy both to a writable directory"
                " to read them"
            )

    def _configure(self) -> None:
        """Settings of a connection to a ledger (or to a file that will become one)."""
        try:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            if not self.read_only:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = FULL")
                # freed space is zeroed, so an erased subject's key leaves no stale copy
                self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            # the scratch tables of a check (sorted copies of the packed records) get the
            # same bounded cache instead of SQLite's 2 MB default
            self._db.execute(f"PRAGMA temp.cache_size = -{CACHE_KIB}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open as SQLite: {exc}") from exc

    def is_initialized(self) -> bool:
        """Whether the store already holds a ledger (its schema and metadata)."""
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        return tables >= _LEDGER_TABLES

    def initialize(self, meta: dict[str, str], index_key: bytes | None = None) -> None:
        """Create the schema and record ``meta``; refuses a store that holds anything."""
        with self.create_session(meta, index_key):
            pass

    def is_empty(self) -> bool:
        """Whether the file holds no table at all."""
        return self._db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None

    @contextmanager
    def create_session(
        self, meta: dict[str, str], index_key: bytes | None = None
    ) -> Iterator[SqliteSession]:
        """Create the ledger (schema, metadata, index key) and write into it, all in one
        transaction: a crash leaves the file as empty as it was. The write-ahead log is
        emptied before (frames a crashed attempt left) and after."""
        if self.is_initialized():
            raise ConfigurationError(f"{self.path} already holds a ledger")
        if not self.is_empty():
            raise ConfigurationError(f"{self.path} holds other tables: not a place for a ledger")
        self.path.chmod(0o600)
        self.checkpoint_wal()
        with self._transaction():
            for statement in statements_of(*self.SCHEMA):
                self._db.execute(statement)
            self._has_batches = self.KEEPS_BATCHES
            self._db.execute(
                "INSERT INTO key_secrets VALUES ('index', ?)", (index_key or os.urandom(32),)
            )
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("schema_version", SCHEMA_VERSION), *sorted(meta.items())],
            )
            with self._writing() as session:
                yield session
        self.checkpoint_wal()

    def meta(self) -> dict[str, str]:
        """The ledger's metadata (origin, log key); refuses a store of another schema version."""
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a lineage ledger ({exc})") from exc
        version = meta.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ConfigurationError(
                f"{self.path}: store schema version {version}, this lineage reads version"
                f" {SCHEMA_VERSION} (copy the ledger into a new store)"
            )
        return meta

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[None]:
        if mode == "IMMEDIATE" and self.read_only:
            raise StoreError(
                f"{self.path}: opened read-only (the file or its directory is not writable);"
                " nothing can be written to it"
            )
        try:
            self._db.execute(f"BEGIN {mode}")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: cannot start a transaction: {exc}") from exc
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: commit failed: {exc}") from exc

    def checkpoint_wal(self) -> None:
        """Copy the write-ahead log into the database file and truncate it to zero bytes."""
        if self.read_only:
            return
        busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise StoreError(
                f"{self.path}: another connection is reading; the write-ahead log could not"
                " be truncated (run the command again when it is done)"
            )

    @contextmanager
    def append_session(self) -> Iterator[SqliteSession]:
        """Serialised with every other writer; commits on success, rolls back on error."""
        with self._transaction("IMMEDIATE"), self._writing() as session:
            yield session

    def new_session(self) -> SqliteSession:
        """The session of a write transaction that has just begun."""
        return SqliteSession(self._db)

    @contextmanager
    def _writing(self) -> Iterator[SqliteSession]:
        """A session inside the open write transaction: finished before the commit,
        discarded if anything fails."""
        session = self.new_session()
        try:
            yield session
            session.finish()
        except sqlite3.DatabaseError as exc:
            session.discard()
            raise StoreError(f"{self.path}: write failed: {exc}") from exc
        except BaseException:
            session.discard()
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A consistent read view for the duration of the block (a block inside another
        shares the outer one's view)."""
        if self._db.in_transaction:
            yield
            return
        with self._translated(), self._transaction("DEFERRED"):
            yield

    def entry(self, index: int) -> tuple[bytes, bytes] | None:
        """(leaf hash, entry bytes) of entry ``index``."""
        row = self._db.execute(
            "SELECT leaf_hash, body FROM entries WHERE idx = ?", (index,)
        ).fetchone()
        return (bytes(row[0]), bytes(row[1])) if row else None

    def batch(self, index: int) -> bytes | None:
        """The batch items stored beside entry ``index`` (None for an entry without)."""
        if not self._has_batches:
            return None
        row = self._db.execute("SELECT items FROM batches WHERE entry = ?", (index,)).fetchone()
        return stored_items(row[0]) if row else None

    def iter_batches(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """(entry index, batch items) of every entry that has them, in index order."""
        if not self._has_batches:
            return
        with self._translated():
            cursor = self._db.execute(
                "SELECT entry, items FROM batches WHERE entry >= ? ORDER BY entry", (start,)
            )
            while rows := cursor.fetchmany(64):
                for entry, items in rows:
                    yield entry, stored_items(items)

    def find_leaf(self, leaf_hash: bytes) -> int | None:
        """The index of the entry with this leaf hash, or None if it is not in the log."""
        row = self._db.execute(
            "SELECT idx FROM entries WHERE leaf_hash = ?", (leaf_hash,)
        ).fetchone()
        return int(row[0]) if row else None

    def iter_entries(self, start: int = 0) -> Iterator[tuple[int, bytes, bytes]]:
        """(index, leaf hash, entry bytes) in index order."""
        with self._translated():
            cursor = self._db.execute(
                "SELECT idx, leaf_hash, body FROM entries WHERE idx >= ? ORDER BY idx", (start,)
            )
            while rows := cursor.fetchmany(ENTRIES_PAGE):
                for idx, leaf, body in rows:
                    yield idx, bytes(leaf), bytes(body)

    def iter_tree_nodes(self) -> Iterator[tuple[NodeId, bytes]]:
        """Every stored complete-subtree hash, in the order of :func:`node_key`."""
        with self._translated():
            cursor = self._db.execute("SELECT id, hash FROM tree_nodes ORDER BY id")
            while rows := cursor.fetchmany(4000):
                for key, value in rows:
                    yield node_from_key(key), bytes(value)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def checkpoints(self) -> Iterator[tuple[int, str]]:
        """(size, signed note) in size order."""
        with self._translated():
            yield from self._db.execute("SELECT size, note FROM checkpoints ORDER BY size")

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the newest checkpoint, or None if there is none."""
        row = self._db.execute(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def checkpoint_at(self, size: int) -> str | None:
        """The signed checkpoint note of the tree of ``size`` entries, or None."""
        row = self._db.execute("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
        return str(row[0]) if row else None

    def compare_rows(
        self, table: str, expected: Callable[[], Path]
    ) -> Iterator[RowDifference] | None:
        """None: the rows are compared one by one, through :meth:`iter_rows`."""
        return None

    def iter_rows(self, table: str) -> Iterator[ProjectionRow]:
        """Rows of one of :data:`PROJECTION_TABLES` in key order."""
        with self._translated():
            yield from graph.iter_rows(self._db, table)

    def identities(self) -> SqliteIdentities:
        """The subject key tables, kept outside the hashed ledger."""
        return SqliteIdentities(self._db, self._transaction, self.checkpoint_wal)

    def derived_tables(self) -> Sequence[DerivedTable]:
        """The tables this store derives from the projection for speed: the ancestry index."""
        return (AncestryTable(),)

    def integrity_problems(self) -> list[str]:
        """Problems SQLite's integrity check finds in the file (at most 20); empty if none."""
        with self._translated():
            rows = self._db.execute("PRAGMA integrity_check(20)").fetchall()
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else [f"SQLite integrity: {p}" for p in problems]

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()
