"""Merging small parts, so a read opens few files whatever the appends' sizes.

Parts are grouped in tiers by row count (tier *t* holds parts of 4^t to 4^(t+1) rows);
when a tier has :data:`FANOUT` parts, they are merged into one part of the next tier,
sorted by key and with the first row of each key only. Each row is rewritten once per
tier it climbs, so the cost of merging is O(n log n) rows over a ledger's life, and a
table has at most ``FANOUT - 1`` parts per tier. The merge is part of the append's
transaction: the merged part is listed and the old ones unlisted together; the old files
stay on disk for a grace time (readers that listed them may still read them).
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from lineage.store.lake.columnar import Columnar
from lineage.store.lake.parts import (
    Part,
    PartFiles,
    first_entry,
    listed_parts,
    register,
    retire,
)
from lineage.store.lake.tables import BATCHES, COLUMNAR_TABLES, SCHEMAS, SORT_KEYS

FANOUT = 4
_READ_ROWS = 64 * 1024
_BATCH_ROWS = 64
"""Batch rows read at a time when batch parts are concatenated (each up to 3 MB)."""


def tier(rows: int) -> int:
    """The tier of a part of ``rows`` rows."""
    return int(math.log(max(rows, 1), FANOUT))


def _merge_query(table: str) -> str:
    key = ", ".join(SORT_KEYS[table])
    columns = ", ".join(SCHEMAS[table].names)
    first = f"DISTINCT ON ({key}) " if "entry" not in SORT_KEYS[table] else ""
    return (
        f"SELECT {first}{columns} FROM read_parquet($merged)"  # noqa: S608 - constant names
        f" ORDER BY {key}{', entry' if first else ''}"
    )


def _concatenated(files: PartFiles, merged: list[tuple[str, int]]) -> pa.RecordBatchReader:
    """Batch parts end to end, in entry order: each holds the entries of one append (or of
    merged appends), so their ranges never interleave and nothing is sorted (a sort of
    megabyte-sized items would have to hold them all in memory)."""
    paths = sorted((files.path(f) for f, _ in merged), key=first_entry)

    def batches() -> Iterator[pa.RecordBatch]:
        for path in paths:
            yield from pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS)

    return pa.RecordBatchReader.from_batches(SCHEMAS[BATCHES], batches())


def _merge(columnar: Columnar, files: PartFiles, table: str, merged: list[tuple[str, int]]) -> Part:
    expected = sum(rows for _, rows in merged)
    if table == BATCHES:
        return files.write(table, _concatenated(files, merged), expected)
    with columnar.session() as cursor:
        paths = [str(files.path(f)) for f, _ in merged]
        relation = cursor.sql(_merge_query(table), params={"merged": paths})
        reader = relation.to_arrow_reader(_READ_ROWS).cast(SCHEMAS[table])
        return files.write(table, reader, expected)


def compact(db: sqlite3.Connection, files: PartFiles, columnar: Columnar, now: float) -> list[Part]:
    """Merge every full tier of every table, in the open write transaction; the parts
    written (to delete if the transaction does not commit)."""
    written: list[Part] = []
    for table in COLUMNAR_TABLES:
        while True:
            tiers: dict[int, list[tuple[str, int]]] = defaultdict(list)
            for file, rows in listed_parts(db, table):
                tiers[tier(rows)].append((file, rows))
            full = [group for _, group in sorted(tiers.items()) if len(group) >= FANOUT]
            if not full:
                break
            part = _merge(columnar, files, table, full[0])
            written.append(part)
            retire(db, [file for file, _ in full[0]], now)
            register(db, [part])
    return written
