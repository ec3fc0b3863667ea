"""The SQLite store's ancestry index: for every record, the posts it derives from.

Compliance checks need every origin of every record in a training shard. Walking
``DERIVED_FROM`` chains through the edges table costs a B-tree seek per hop (about
5 µs: half a minute for a million records five steps deep), so the embedded store
keeps, next to the projection, one row per (record, origin post) with the entries
of the ``DERIVED_FROM`` edges on the path from the post down to the record:

    ancestry(record, origin, path)    path: "14 15 16 17", oldest hop first

Of several paths between one post and one record it keeps the one with the earliest
entries, so it depends on the edges alone, not on the order they arrived in (``copy``
writes them in key order). It is kept up to date by each append; ``verify``
recomputes it with the rest of the projection and compares it row by row. A record
whose parent has no ancestry yet (a parent declared later, or never: a lineage
gap) is remembered in ``ancestry_waiting`` and gains its rows when the parent does.
Neo4j needs no such index: it follows the relationships directly.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lineage.model.graph import DERIVED_FROM, ID_PREFIX, POST
from lineage.model.rows import AncestryRow, EdgeRow, GraphBatch, PackedOrigin
from lineage.store.sqlite._chunks import LISTED_CHUNK, rows_in
from lineage.store.sqlite.schema import ANCESTRY_SCHEMA, EDGES_SCHEMA, statements_of

TABLE = "ancestry"
_POST_PREFIX = ID_PREFIX[POST]
Lineages = list[tuple[str, str]]
"""(origin, path) pairs of one record."""


def _order(path: str) -> tuple[int, ...]:
    """Of several paths from one post to one record, the index keeps the least in this
    order (the earliest entries), so it does not depend on the order edges arrive in."""
    return tuple(map(int, path.split()))


def _extended(lines: Lineages, entry: int) -> Lineages:
    return [(origin, f"{path} {entry}") for origin, path in lines]


def _stored(db: sqlite3.Connection, records: Sequence[str]) -> dict[str, Lineages]:
    found: dict[str, Lineages] = defaultdict(list)
    query = "SELECT record, origin, path FROM ancestry WHERE record IN ({marks})"
    for record, origin, path in rows_in(db, query, records):
        found[record].append((origin, path))
    return found


def _waiting_for(db: sqlite3.Connection, parents: Sequence[str]) -> list[tuple[str, str, int]]:
    if db.execute("SELECT 1 FROM ancestry_waiting LIMIT 1").fetchone() is None:
        return []
    query = "SELECT parent, record, entry FROM ancestry_waiting WHERE parent IN ({marks})"
    found: list[tuple[str, str, int]] = list(rows_in(db, query, parents))
    db.executemany(
        "DELETE FROM ancestry_waiting WHERE parent = ? AND record = ?",
        [(parent, record) for parent, record, _ in found],
    )
    return found


class _Update:
    """One batch's changes to the index.

    Most records arrive after their parent and before anything derives from them: they
    take the parent's lines extended by one hop. The rest — a parent that arrives later
    (its children wait), a record that gains another origin after records derived from
    it (they grow too, in this batch or stored) — go through :meth:`add`'s work list.
    """

    def __init__(self, db: sqlite3.Connection, derived: list[tuple[str, str, int]]) -> None:
        self.db = db
        self.derived = derived
        parents = {up for _, up, _ in derived if not up.startswith(_POST_PREFIX)}
        records = {down for down, _, _ in derived}
        self.known = _stored(db, sorted(parents | records))
        self.in_batch = {(down, up) for down, up, _ in derived}
        self.waiting: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.new_rows: list[tuple[str, str, str]] = []
        self.gained: list[str] = []
        self.grown: dict[str, Lineages] = {}
        self.others_waiting = (
            db.execute("SELECT 1 FROM ancestry_waiting LIMIT 1").fetchone() is not None
        )

    def derive(self, record: str, parent: str, entry: int) -> None:
        """``record`` derives from ``parent`` by the edge of entry ``entry``."""
        if parent.startswith(_POST_PREFIX):
            lines = [(parent, str(entry))]
        else:
            known = self.known.get(parent)
            if not known:
                self.waiting[parent].append((record, entry))
                return
            lines = _extended(known, entry)
        if record in self.known or record in self.waiting:
            self.add(record, lines)
            return
        self.known[record] = lines
        self.new_rows.extend([(record, origin, path) for origin, path in lines])
        if self.others_waiting:
            self.gained.append(record)

    def add(self, record: str, lines: Lineages) -> None:
        """Give ``record`` these lines, and the records waiting for it theirs (a work
        list, not recursion: chains may be long and may even loop)."""
        work = [(record, lines)]
        while work:
            node, offered = work.pop()
            have = self.known[node]
            had = len(have)
            position = {origin: n for n, (origin, _) in enumerate(have)}
            fresh: Lineages = []
            for origin, path in offered:
                n = position.get(origin)
                if n is None:
                    position[origin] = len(have)
                    have.append((origin, path))
                elif _order(path) < _order(have[n][1]):
                    have[n] = (origin, path)
                else:
                    continue
                fresh.append((origin, path))
            if not fresh:
                continue
            if had:
                self.grown.setdefault(node, []).extend(fresh)
            else:
                # its first lines: what waits for it (stored rows too) is resolved now
                self.gained.append(node)
            self.new_rows.extend((node, origin, path) for origin, path in fresh)
            for child, entry in self.waiting.pop(node, ()):
                work.append((child, _extended(have, entry)))

    def finish(self) -> None:
        """Reach what derives from records that gained lines: records of this batch
        derived before the growth, and records stored before this batch (waiting for
        a parent, or derived from one that grew)."""
        while self.gained or self.grown:
            gained, self.gained = self.gained, []
            waiting = _waiting_for(self.db, gained)
            self._load([record for _, record, _ in waiting])
            for parent, record, entry in waiting:
                self.add(record, _extended(self.known[parent], entry))
            grown, self.grown = self.grown, {}
            children = [(up, down, e) for down, up, e in self.derived if up in grown]
            children += self._stored_children(sorted(grown))
            for parent, child, entry in children:
                self.add(child, _extended(grown[parent], entry))
        self.db.executemany("INSERT OR REPLACE INTO ancestry VALUES (?, ?, ?)", self.new_rows)
        self.db.executemany(
            "INSERT OR IGNORE INTO ancestry_waiting VALUES (?, ?, ?)",
            [(parent, rec, entry) for parent, kids in self.waiting.items() for rec, entry in kids],
        )

    def _stored_children(self, parents: Sequence[str]) -> list[tuple[str, str, int]]:
        query = "SELECT up, down, entry FROM edges WHERE up IN ({marks}) AND kind = ?"
        found = [
            row
            for row in rows_in(self.db, query, parents, DERIVED_FROM)
            if (row[1], row[0]) not in self.in_batch
        ]
        self._load([child for _, child, _ in found])
        return found

    def _load(self, records: list[str]) -> None:
        """Bring stored records this batch has not read yet into ``known``: their lines
        are not new, and what derives from them must hear of any they gain."""
        unread = sorted({r for r in records if r not in self.known})
        self.known.update(_stored(self.db, unread))


def update(db: sqlite3.Connection, edges: Sequence[EdgeRow]) -> None:
    """Extend the index with the ``DERIVED_FROM`` edges of one batch (in entry order)."""
    derived = [(e.down, e.up, e.entry) for e in edges if e.kind == DERIVED_FROM]
    if derived:
        change = _Update(db, derived)
        for record, parent, entry in derived:
            change.derive(record, parent, entry)
        change.finish()


_ROWS = """
SELECT record, origin, path FROM ancestry
UNION ALL
SELECT record, '~waiting for ' || parent, CAST(entry AS TEXT) FROM ancestry_waiting
ORDER BY 1, 2
"""


def iter_rows(db: sqlite3.Connection) -> Iterator[AncestryRow]:
    """The index rows, ordered by (record, origin): each record's origins with their
    paths, and each parent it waits for (origin ``~waiting for PARENT``, path its entry),
    so that verify compares the waiting list too (a stale one makes a check see a gap)."""
    cursor = db.execute(_ROWS)
    while rows := cursor.fetchmany(2000):
        for row in rows:
            yield AncestryRow(*row)


# A check reads every record of many shards with its origins: a million records are
# millions of lookups. Done record by record they are random reads all over the file;
# done in passes, each in the key order of the tree it reads (the packed records by
# record for the ancestry, then the lines by post), every page is read once and in
# order; the caller then reads the posts and their authors in the same post order.
_PACKED = """
CREATE TEMP TABLE check_packed (
    record TEXT NOT NULL, shard TEXT NOT NULL, entry INTEGER NOT NULL, time_us INTEGER NOT NULL,
    PRIMARY KEY (record, shard)
) WITHOUT ROWID
"""
_LINES = """
CREATE TEMP TABLE check_lines (
    origin TEXT NOT NULL, record TEXT NOT NULL, shard TEXT NOT NULL, path TEXT,
    entry INTEGER NOT NULL, time_us INTEGER NOT NULL, PRIMARY KEY (origin, record, shard)
) WITHOUT ROWID
"""
_FILL_PACKED = """
INSERT OR IGNORE INTO temp.check_packed
SELECT e.up, e.down, e.entry, e.time_us FROM json_each(?1) AS s JOIN edges e ON e.down = s.value
WHERE e.kind = 'PACKED_INTO' AND e.time_us <= ?2
"""
_FILL_LINES = """
INSERT INTO temp.check_lines
SELECT coalesce(a.origin, ''), p.record, p.shard, a.path, p.entry, p.time_us
FROM temp.check_packed p LEFT JOIN ancestry a ON a.record = p.record
"""
_FILL_GAPS = """
WITH RECURSIVE gapped(record) AS (
    SELECT record FROM ancestry_waiting
    UNION
    SELECT e.down FROM gapped g JOIN edges e ON e.up = g.record WHERE e.kind = 'DERIVED_FROM'
)
INSERT INTO temp.check_lines
SELECT '', p.record, p.shard, NULL, p.entry, p.time_us FROM temp.check_packed p
WHERE p.record IN gapped AND p.record IN (SELECT record FROM ancestry)
"""
_ORIGINS = """
SELECT shard, record, entry, time_us, origin, path FROM temp.check_lines
ORDER BY origin, record, shard
"""


def packed_origins(
    db: sqlite3.Connection, shards: Iterable[str], until: int
) -> Iterator[PackedOrigin]:
    """Every record packed into each shard (by ``until``), with each post it derives from,
    in the order of the posts (origin None first: records with no path to a post, and
    records with one, some of whose ancestors wait for a parent no entry leads to a
    post from: those are waiting records and everything derived from them)."""
    db.execute("DROP TABLE IF EXISTS temp.check_packed")
    db.execute("DROP TABLE IF EXISTS temp.check_lines")
    db.execute(_PACKED)
    db.execute(_LINES)
    try:
        wanted = sorted(set(shards))
        for start in range(0, len(wanted), LISTED_CHUNK):
            db.execute(_FILL_PACKED, (json.dumps(wanted[start : start + LISTED_CHUNK]), until))
        db.execute(_FILL_LINES)
        if db.execute("SELECT 1 FROM ancestry_waiting LIMIT 1").fetchone() is not None:
            db.execute(_FILL_GAPS)
        cursor = db.execute(_ORIGINS)
        while rows := cursor.fetchmany(5000):
            for shard, record, entry, when, origin, path in rows:
                yield PackedOrigin(
                    shard,
                    record,
                    entry,
                    when,
                    origin or None,
                    tuple(map(int, path.split())) if path else (),
                )
    finally:
        db.execute("DROP TABLE IF EXISTS temp.check_packed")
        db.execute("DROP TABLE IF EXISTS temp.check_lines")


class AncestryRebuild:
    """The index recomputed in a scratch database from the edges, as appends build it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def add(self, batch: GraphBatch) -> None:
        """Extend the index with the edges of the next entries."""
        self._db.executemany(
            "INSERT OR IGNORE INTO edges VALUES (?, ?, ?, ?, ?)",
            [(e.down, e.up, e.kind, e.entry, e.time_us) for e in batch.edges],
        )
        update(self._db, batch.edges)

    def rows(self) -> Iterator[AncestryRow]:
        """The recomputed rows, in key order."""
        return iter_rows(self._db)


class AncestryTable:
    """The ancestry index as a derived table of the store contract."""

    name = TABLE
    label = "ancestry of record"

    @contextmanager
    def rebuild(self) -> Iterator[AncestryRebuild]:
        """A scratch database holding only the edges and the index, removed afterwards."""
        with tempfile.TemporaryDirectory(prefix="lineage-verify-") as scratch:
            db = sqlite3.connect(Path(scratch) / "ancestry.db", isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode = OFF")
                db.execute("PRAGMA synchronous = OFF")
                for statement in statements_of(EDGES_SCHEMA, ANCESTRY_SCHEMA):
                    db.execute(statement)
                db.execute("BEGIN")
                yield AncestryRebuild(db)
            finally:
                db.close()
