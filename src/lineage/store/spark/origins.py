"""The origins of packed records in Spark SQL: the algorithm of
:mod:`lineage.store.lake.origins` (closure of the packed records' ancestors level by
level, then each node's least line from each post relaxed level by level, then the
records behind a gap), each step a join Spark can run across a cluster."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lineage.model.graph import DERIVED_FROM, ID_PREFIX, PACKED_INTO, POST
from lineage.model.rows import PackedOrigin
from lineage.store.lake.tables import EDGES
from lineage.store.spark.frames import Frames

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_PACKED = "SELECT up AS record, down AS shard, entry, time_us FROM {edges} WHERE time_us <= :until"
_CLOSURE_LEVEL = (
    "SELECT DISTINCT e.up AS id FROM {edges} e LEFT ANTI JOIN {closure} c ON c.id = e.up"
)
_HOPS = "SELECT down, up, entry FROM {edges}"
_FROM_POSTS = (
    "SELECT down AS node, up AS origin, min(array(entry)) AS path FROM {hops}"
    " WHERE startswith(up, :post) GROUP BY down, up"
)
_BETTER = (
    "WITH offered AS (SELECT hops.down AS node, frontier.origin,"
    " min(array_append(frontier.path, hops.entry)) AS path"
    " FROM {frontier} frontier JOIN {hops} hops ON hops.up = frontier.node"
    " GROUP BY hops.down, frontier.origin)"
    " SELECT offered.* FROM offered LEFT JOIN {lines} lines"
    " ON lines.node = offered.node AND lines.origin = offered.origin"
    " WHERE lines.path IS NULL OR offered.path < lines.path"
)
_IMPROVED = (
    "SELECT coalesce(better.node, lines.node) AS node,"
    " coalesce(better.origin, lines.origin) AS origin,"
    " coalesce(better.path, lines.path) AS path"
    " FROM {lines} lines FULL OUTER JOIN {better} better"
    " ON lines.node = better.node AND lines.origin = better.origin"
)
_GAP_START = (
    "SELECT DISTINCT hops.down AS id FROM {hops} hops LEFT ANTI JOIN {lines} lines"
    " ON lines.node = hops.up WHERE NOT startswith(hops.up, :post)"
)
_GAP_LEVEL = (
    "SELECT DISTINCT hops.down AS id FROM {hops} hops JOIN {last} last ON hops.up = last.id"
    " LEFT ANTI JOIN {gapped} gapped ON gapped.id = hops.down"
)
_WITH_LINES = (
    "SELECT packed.shard, packed.record, packed.entry, packed.time_us, lines.origin, lines.path"
    " FROM {packed} packed LEFT JOIN {lines} lines ON lines.node = packed.record"
)
_BEHIND_GAPS = (
    "SELECT shard, record, entry, time_us, CAST(NULL AS STRING) AS origin,"
    " CAST(NULL AS ARRAY<BIGINT>) AS path"
    " FROM {packed} WHERE record IN (SELECT id FROM {gapped})"
    " AND record IN (SELECT node FROM {lines})"
)


def _closure(frames: Frames, packed: DataFrame) -> DataFrame:
    """The packed records and every node upstream of them along ``DERIVED_FROM``."""
    closure, _ = frames.kept(frames.sql("SELECT DISTINCT record AS id FROM {p}", p=packed))
    last = closure
    while True:
        parents = frames.first(
            EDGES,
            "kind = :derived AND down IN (SELECT id FROM {last})",
            {"derived": DERIVED_FROM},
            last=last,
        )
        last, added = frames.kept(frames.sql(_CLOSURE_LEVEL, edges=parents, closure=closure))
        if not added:
            return closure
        closure = closure.unionAll(last)


def _lines(frames: Frames, hops: DataFrame, post: str) -> DataFrame:
    """Each node's least line (entries from the post down) from each post above it."""
    lines = frames.checkpoint(frames.sql(_FROM_POSTS, {"post": post}, hops=hops))
    frontier = lines
    while True:
        better, improved = frames.kept(
            frames.sql(_BETTER, frontier=frontier, hops=hops, lines=lines)
        )
        if not improved:
            return lines
        lines = frames.checkpoint(frames.sql(_IMPROVED, lines=lines, better=better))
        frontier = better


def _gapped(frames: Frames, hops: DataFrame, lines: DataFrame, post: str) -> DataFrame:
    """The nodes derived, at any depth, from a parent that is neither a post nor has lines."""
    gapped, added = frames.kept(frames.sql(_GAP_START, {"post": post}, hops=hops, lines=lines))
    last = gapped
    while added:
        last, added = frames.kept(frames.sql(_GAP_LEVEL, hops=hops, last=last, gapped=gapped))
        gapped = gapped.unionAll(last)
    return gapped


def packed_origins(frames: Frames, shards: Sequence[str], until: int) -> Iterator[PackedOrigin]:
    """Every record packed into ``shards`` by ``until``, once per post it derives from
    (origin None: no complete path to a post), in the order of the posts."""
    if not shards:
        return
    post = ID_PREFIX[POST]
    into_shards = frames.first(
        EDGES,
        "kind = :packed AND down IN (SELECT id FROM {shards})",
        {"packed": PACKED_INTO},
        shards=frames.ids(list(shards)),
    )
    packed = frames.checkpoint(frames.sql(_PACKED, {"until": until}, edges=into_shards))
    closure = _closure(frames, packed)
    hops = frames.checkpoint(
        frames.sql(
            _HOPS,
            edges=frames.first(
                EDGES,
                "kind = :derived AND down IN (SELECT id FROM {closure})",
                {"derived": DERIVED_FROM},
                closure=closure,
            ),
        )
    )
    lines = _lines(frames, hops, post)
    gapped = _gapped(frames, hops, lines, post)
    # two ordered streams merged here: Spark mis-plans a union of one plan with itself
    found = frames.sql(_WITH_LINES, packed=packed, lines=lines)
    gaps = frames.sql(_BEHIND_GAPS, packed=packed, lines=lines, gapped=gapped)
    streams = [frames.stream(rows.orderBy("origin", "record", "shard")) for rows in (found, gaps)]
    for shard, record, entry, when, origin, path in heapq.merge(*streams, key=_order):
        yield PackedOrigin(shard, record, entry, when, origin, tuple(path) if path else ())


def _order(row: tuple[Any, ...]) -> tuple[str, str, str]:
    """The order of the lake's answer: origin (none first), record, shard."""
    return (row[4] or "", row[1], row[0])
