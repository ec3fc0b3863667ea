"""The graph reads of the store contract as Spark SQL over a lake's Parquet parts: the
same answers as :class:`lineage.store.lake.graph.LakeGraph` (DuckDB), for graphs that
need a cluster. Statements, requests and entries stay in the log (SQLite)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from lineage.model.rows import DropRow, EdgeRow, NodeRow, PackedOrigin
from lineage.store.base import MAX_EDGES_LISTED
from lineage.store.lake.graph import until
from lineage.store.lake.tables import DROPS, EDGES, NODES
from lineage.store.spark.frames import Frames
from lineage.store.spark.origins import packed_origins

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_IN_IDS = "id IN (SELECT id FROM {ids})"
_EDGE_COLUMNS = "SELECT up, down, kind, entry, time_us FROM {edges} WHERE time_us <= :until"
_COUNT_INTO = "SELECT down, count(*) FROM {edges} WHERE time_us <= :until GROUP BY down"
_COUNT_OUT_OF = (
    "SELECT up, count(*) FROM (SELECT DISTINCT down, up FROM {edges}"
    " WHERE kind = :kind AND up IN (SELECT id FROM {ids})) GROUP BY up"
)
_DROP_COLUMNS = "SELECT node, reason, entry, time_us FROM {drops} WHERE time_us <= :until"
_DROP_COUNTS = (
    "SELECT entry, reason, count(*) FROM {drops} WHERE time_us <= :until"
    " GROUP BY entry, reason ORDER BY entry, reason"
)
_WALK_LEVEL = (
    "SELECT DISTINCT hops.{far} AS id, :level AS level FROM {{hops}} hops"
    " LEFT ANTI JOIN {{seen}} seen ON seen.id = hops.{far} WHERE hops.time_us <= :until"
)
_NEAR = {True: "down IN (SELECT id FROM {frontier})", False: "up IN (SELECT id FROM {frontier})"}
_FAR = {True: _WALK_LEVEL.format(far="up"), False: _WALK_LEVEL.format(far="down")}
_WALK_NODES = (
    "SELECT seen.id, n.kind, n.attrs, n.entry, n.time_us FROM {seen} seen"
    " LEFT JOIN {nodes} n ON n.id = seen.id"
)


class SparkGraph:
    """Graph reads in Spark SQL (:class:`lineage.store.base.GraphReads`' graph half)."""

    def __init__(self, frames: Frames) -> None:
        self._frames = frames

    def node(self, node_id: str) -> NodeRow | None:
        """The node with this id, if an entry declared it."""
        return self.nodes([node_id]).get(node_id)

    def nodes(self, ids: Sequence[str]) -> dict[str, NodeRow]:
        """The declared nodes among ``ids``, by id."""
        if not ids:
            return {}
        frames = self._frames
        found = frames.first(NODES, _IN_IDS, ids=frames.ids(sorted(set(ids))))
        return {row[0]: NodeRow(*row) for row in frames.rows(found)}

    def edges_of(
        self,
        node_id: str,
        as_of_us: int | None = None,
        *,
        downstream_only: bool = False,
        limit: int = MAX_EDGES_LISTED,
    ) -> list[EdgeRow]:
        """Up to ``limit`` edges at ``node_id`` (or leading downstream from it), in the
        order (kind, upstream, downstream)."""
        frames = self._frames
        where = "up = :node OR (:both AND down = :node)"
        first = frames.first(EDGES, where, {"node": node_id, "both": not downstream_only})
        edges = frames.sql(_EDGE_COLUMNS, {"until": until(as_of_us)}, edges=first)
        ordered = edges.orderBy("kind", "up", "down").limit(limit)
        return [EdgeRow(*row) for row in frames.rows(ordered)]

    def _into(self, nodes: Sequence[str], kind: str) -> DataFrame:
        frames = self._frames
        where = "kind = :kind AND down IN (SELECT id FROM {ids})"
        return frames.first(EDGES, where, {"kind": kind}, ids=frames.ids(sorted(set(nodes))))

    def edges_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> list[EdgeRow]:
        """The ``kind`` edges whose downstream end is one of ``nodes``, in key order."""
        if not nodes:
            return []
        frames = self._frames
        edges = frames.sql(_EDGE_COLUMNS, {"until": until(as_of_us)}, edges=self._into(nodes, kind))
        return [EdgeRow(*row) for row in frames.stream(edges.orderBy("down", "up"))]

    def count_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> dict[str, int]:
        """How many ``kind`` edges lead into each of ``nodes``."""
        if not nodes:
            return {}
        frames = self._frames
        counts = frames.sql(_COUNT_INTO, {"until": until(as_of_us)}, edges=self._into(nodes, kind))
        return {str(node): int(count) for node, count in frames.rows(counts)}

    def count_out_of(self, nodes: Sequence[str], kind: str) -> dict[str, int]:
        """How many ``kind`` edges lead out of each of ``nodes``."""
        if not nodes:
            return {}
        frames = self._frames
        counts = frames.sql(
            _COUNT_OUT_OF,
            {"kind": kind},
            edges=frames.table(EDGES),
            ids=frames.ids(sorted(set(nodes))),
        )
        return {str(node): int(count) for node, count in frames.rows(counts)}

    def drops_of(self, nodes: Sequence[str], as_of_us: int | None = None) -> list[DropRow]:
        """The drops recorded against any of ``nodes``, in (entry, node) order."""
        if not nodes:
            return []
        frames = self._frames
        first = frames.first(
            DROPS, "node IN (SELECT id FROM {ids})", ids=frames.ids(sorted(set(nodes)))
        )
        drops = frames.sql(_DROP_COLUMNS, {"until": until(as_of_us)}, drops=first)
        return [DropRow(*row) for row in frames.stream(drops.orderBy("entry", "node"))]

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        """(entry, reason, count) of every drop."""
        frames = self._frames
        counts = frames.sql(
            _DROP_COUNTS, {"until": until(as_of_us)}, drops=frames.first(DROPS, "true")
        )
        return [(int(e), str(r), int(c)) for e, r, c in frames.rows(counts)]

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        """Every node reachable from ``root`` (itself included), each once; a node declared
        after ``as_of_us`` is left out, one no entry declares comes with kind ``""``.
        Level by level, each level one join (its result kept for the next)."""
        frames = self._frames
        bound = until(as_of_us)
        seen, _ = frames.kept(frames.sql("SELECT :root AS id, 0 AS level", {"root": root}))
        frontier = seen
        level = 1
        while True:
            hops = frames.first(EDGES, _NEAR[upstream], frontier=frontier)
            found = frames.sql(
                _FAR[upstream], {"until": bound, "level": level}, hops=hops, seen=seen
            )
            frontier, added = frames.kept(found)
            if not added:
                break
            seen = seen.unionAll(frontier)
            level += 1
        declared = frames.first(NODES, "id IN (SELECT id FROM {seen})", seen=seen)
        rows = frames.sql(_WALK_NODES, seen=seen, nodes=declared)
        for node_id, kind, attrs, entry, when in frames.stream(rows):
            if kind is None:
                yield NodeRow(node_id, "", "{}", -1, 0)
            elif when <= bound:
                yield NodeRow(node_id, kind, attrs, entry, when)

    def packed_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[PackedOrigin]:
        """Every record packed into each shard, once per origin, in the order of the posts."""
        return packed_origins(self._frames, sorted(set(shards)), until(as_of_us))
