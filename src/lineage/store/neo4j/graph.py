"""Cypher of the graph projection in Neo4j.

Graph nodes are ``(:Lineage:<Kind> {id, kind, entry, time_us, name, <attributes>})``,
each attribute a property of its own (:mod:`lineage.store.neo4j.properties`); an id that
an edge names but no entry declares is a ``(:Lineage {id, name})`` without kind, so gaps
stay visible. Edges are relationships in the direction the Lineage predicate names them,
``(record)-[:DERIVED_FROM]->(post)``, ``(record)-[:PACKED_INTO]->(shard)``, each with
the ``entry`` and ``time_us`` of the statement that first asserted it. Drops are
``(:Drop {key, node, entry, reason, time_us})``; statements ``(:Statement {entry, …})``;
requests ``(:Request {key, target, kind, at_us, entry, time_us})``.

Every query text is a constant of this module: node kinds and relationship types
come from :mod:`lineage.model.graph`, never from input; values are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from lineage.errors import NodeConflictError
from lineage.model.graph import EDGE_RULES, NODE_ATTRIBUTES
from lineage.model.rows import (
    DropRow,
    EdgeRow,
    GraphBatch,
    NodeRow,
    PackedOrigin,
    ProjectionRow,
    RequestRow,
    StatementRow,
)
from lineage.store.base import MAX_EDGES_LISTED
from lineage.store.neo4j._cypher import NEVER, PAGE, Run, in_chunks, pages
from lineage.store.neo4j.properties import (
    CAPTION,
    attrs_from,
    caption_differs,
    node_properties,
    placeholder_properties,
)

_FLOWS_FORWARD = {kind: rule[2] for kind, rule in EDGE_RULES.items()}
for _name in [*_FLOWS_FORWARD, *NODE_ATTRIBUTES]:
    assert re.fullmatch(r"[A-Z][A-Za-z_]*", _name), _name
_FORWARD = "|".join(sorted(k for k, forward in _FLOWS_FORWARD.items() if forward))
_BACKWARD = "|".join(sorted(k for k, forward in _FLOWS_FORWARD.items() if not forward))

CONSTRAINTS = [
    "CREATE CONSTRAINT lineage_node_id IF NOT EXISTS FOR (n:Lineage) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX lineage_node_entry IF NOT EXISTS FOR (n:Lineage) ON (n.entry)",
    "CREATE CONSTRAINT lineage_statement_entry IF NOT EXISTS"
    " FOR (s:Statement) REQUIRE s.entry IS UNIQUE",
    "CREATE CONSTRAINT lineage_drop_key IF NOT EXISTS FOR (d:Drop) REQUIRE d.key IS UNIQUE",
    "CREATE INDEX lineage_drop_node IF NOT EXISTS FOR (d:Drop) ON (d.node)",
    "CREATE CONSTRAINT lineage_request_key IF NOT EXISTS FOR (q:Request) REQUIRE q.key IS UNIQUE",
    "CREATE INDEX lineage_request_target IF NOT EXISTS FOR (q:Request) ON (q.target)",
]


NEWER_INDEXES = frozenset({"lineage_node_entry"})
"""Indexes that stores made before attributes were properties do not have: what one step
run declared, ``MATCH (n:Lineage {entry: $entry})``, in Neo4j Browser."""


def drop_key(node: str, entry: int) -> str:
    """Sorts as ``(node, entry)`` does: node ids never contain characters below ``!``."""
    return f"{node}\x1f{entry:020d}"


def request_key(target: str, kind: str, entry: int) -> str:
    """Sorts as ``(target, kind, entry)`` does."""
    return f"{target}\x1f{kind}\x1f{entry:020d}"


# -- writes -------------------------------------------------------------------------
#
# One append's rows are written in as few statements as possible, and with CREATE
# wherever the store cannot hold the row yet: a node no query found, a placeholder for
# an edge end no query found, an edge with a node created by this batch at one end.
# Only edges between nodes that existed before go through MERGE.

_STORED = "UNWIND $ids AS id MATCH (n:Lineage {id: id}) RETURN n.id, n.kind, properties(n), n.entry"
_ADD_STATEMENTS = (
    "UNWIND $rows AS r CREATE (:Statement {entry: r[0], predicate_type: r[1], step: r[2],"
    " version: r[3], run: r[4], keyid: r[5], time_us: r[6]})"
)
_CREATE_NODES = {
    kind: f"UNWIND $rows AS r CREATE (n:Lineage:{kind}) SET n = r" for kind in NODE_ATTRIBUTES
}
_DECLARE_PLACEHOLDERS = {
    kind: "UNWIND $rows AS r MATCH (n:Lineage {id: r.id}) WHERE n.kind IS NULL"
    f" SET n:{kind}, n += r"
    for kind in NODE_ATTRIBUTES
}
_CREATE_PLACEHOLDERS = "UNWIND $rows AS r CREATE (n:Lineage) SET n = r"
_CREATE_EDGES = {
    kind: "UNWIND $rows AS r MATCH (a:Lineage {id: r[0]}) MATCH (b:Lineage {id: r[1]})"
    f" CREATE (a)-[:{kind} {{entry: r[2], time_us: r[3]}}]->(b)"
    for kind in EDGE_RULES
}
_MERGE_EDGES = {
    kind: "UNWIND $rows AS r MATCH (a:Lineage {id: r[0]}) MATCH (b:Lineage {id: r[1]})"
    f" MERGE (a)-[e:{kind}]->(b) ON CREATE SET e.entry = r[2], e.time_us = r[3]"
    for kind in EDGE_RULES
}
_ADD_DROPS = (
    "UNWIND $rows AS r MERGE (d:Drop {key: r[0]})"
    " ON CREATE SET d.node = r[1], d.entry = r[2], d.reason = r[3], d.time_us = r[4]"
)
_ADD_REQUESTS = (
    "UNWIND $rows AS r MERGE (q:Request {key: r[0]})"
    " ON CREATE SET q.target = r[1], q.kind = r[2], q.at_us = r[3], q.entry = r[4],"
    " q.time_us = r[5]"
)
_CONFLICT = "a node is asserted again with other attributes"


def _stored(run: Run, ids: Sequence[str]) -> dict[str, tuple[str | None, str, int]]:
    """(kind, attrs, entry) of the given ids that have a node; kind None: a placeholder."""
    return {r[0]: (r[1], attrs_from(r[2]), r[3]) for r in in_chunks(run, _STORED, ids, name="ids")}


def existing_nodes(run: Run, ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    """(kind, attributes JSON, entry) of the declared nodes among ``ids`` (not placeholders)."""
    return {
        node_id: (kind, attrs, entry)
        for node_id, (kind, attrs, entry) in _stored(run, ids).items()
        if kind is not None
    }


def _by_kind(rows: Iterable[tuple[str, list[Any]]]) -> dict[str, list[list[Any]]]:
    grouped: dict[str, list[list[Any]]] = {}
    for kind, row in rows:
        grouped.setdefault(kind, []).append(row)
    return grouped


def write_batch(run: Run, batch: GraphBatch) -> None:
    """Write one append's projection rows; stored nodes, edges and drops are kept.

    Raises :class:`NodeConflictError` before writing anything if a node is already
    stored, or asserted earlier in the batch, with another kind or other attributes."""
    declared: dict[str, NodeRow] = {}
    for row in batch.nodes:
        first = declared.setdefault(row.id, row)
        if (first.kind, first.attrs) != (row.kind, row.attrs):
            raise NodeConflictError(_CONFLICT)
    edges: dict[tuple[str, str, str], EdgeRow] = {}
    for edge in batch.edges:
        edges.setdefault((edge.down, edge.up, edge.kind), edge)
    ends = {end for edge in edges.values() for end in (edge.up, edge.down)}
    stored = _stored(run, list(declared.keys() | ends))
    for node_id, (kind, attrs, _) in stored.items():
        mine = declared.get(node_id)
        if kind is not None and mine is not None and (kind, attrs) != (mine.kind, mine.attrs):
            raise NodeConflictError(_CONFLICT)

    in_chunks(
        run,
        _ADD_STATEMENTS,
        [
            [s.entry, s.predicate_type, s.step, s.version, s.run, s.keyid, s.time_us]
            for s in batch.statements
        ],
    )
    fresh = {node_id for node_id in declared.keys() | ends if node_id not in stored}
    node_rows: dict[str, list[dict[str, Any]]] = {}
    for n in declared.values():
        if n.id in fresh or stored[n.id][0] is None:
            props = node_properties(n.id, n.kind, n.attrs, n.entry, n.time_us)
            node_rows.setdefault(n.kind, []).append(props)
    for kind, props_list in node_rows.items():
        in_chunks(run, _CREATE_NODES[kind], [p for p in props_list if p["id"] in fresh])
        declaring = [p for p in props_list if p["id"] not in fresh]
        in_chunks(run, _DECLARE_PLACEHOLDERS[kind], declaring)
    gaps = sorted(fresh - declared.keys())
    in_chunks(run, _CREATE_PLACEHOLDERS, [placeholder_properties(node_id) for node_id in gaps])
    new_edges: list[tuple[str, list[Any]]] = []
    other_edges: list[tuple[str, list[Any]]] = []
    for e in edges.values():
        src, dst = (e.up, e.down) if _FLOWS_FORWARD[e.kind] else (e.down, e.up)
        edge_row = (e.kind, [src, dst, e.entry, e.time_us])
        (new_edges if e.up in fresh or e.down in fresh else other_edges).append(edge_row)
    for kind, rows in _by_kind(new_edges).items():
        in_chunks(run, _CREATE_EDGES[kind], rows)
    for kind, rows in _by_kind(other_edges).items():
        in_chunks(run, _MERGE_EDGES[kind], rows)
    in_chunks(
        run,
        _ADD_DROPS,
        [[drop_key(d.node, d.entry), d.node, d.entry, d.reason, d.time_us] for d in batch.drops],
    )
    in_chunks(
        run,
        _ADD_REQUESTS,
        [
            [request_key(q.target, q.kind, q.entry), q.target, q.kind, q.at_us, q.entry, q.time_us]
            for q in batch.requests
        ],
    )


# -- reads --------------------------------------------------------------------------

_NODE_FIELDS = "n.id, n.kind, properties(n), n.entry, n.time_us"
_NODE = f"MATCH (n:Lineage {{id: $id}}) RETURN {_NODE_FIELDS}"
_COUNT_OF_KIND = "MATCH (n:Lineage) WHERE n.kind = $kind RETURN count(n)"
_NODES_OF_KIND = (
    "MATCH (n:Lineage) WHERE n.kind = $kind"
    f" RETURN {_NODE_FIELDS} ORDER BY n.entry, n.id LIMIT $limit"
)
_FIND_NODES = (
    "MATCH (n:Lineage) WHERE n.kind IS NOT NULL AND toLower(n.id) CONTAINS toLower($text)"
    f" RETURN {_NODE_FIELDS} ORDER BY n.id LIMIT $limit"
)
_NODES = (
    f"UNWIND $ids AS id MATCH (n:Lineage {{id: id}}) WHERE n.kind IS NOT NULL RETURN {_NODE_FIELDS}"
)
_EDGE_FIELDS = "startNode(r).id, endNode(r).id, type(r), r.entry, r.time_us"
_IN_FLOW_ORDER = f"""
WITH r, type(r) AS kind,
     CASE WHEN type(r) IN {sorted(k for k, forward in _FLOWS_FORWARD.items() if forward)!r}
          THEN [startNode(r).id, endNode(r).id] ELSE [endNode(r).id, startNode(r).id] END AS ends
RETURN {_EDGE_FIELDS} ORDER BY kind, ends[0], ends[1] LIMIT $limit
"""
_EDGES_DOWN = f"""
MATCH (n:Lineage {{id: $id}})
CALL (n) {{
    MATCH (n)-[r:{_FORWARD}]->() WHERE r.time_us <= $until RETURN r
    UNION
    MATCH (n)<-[r:{_BACKWARD}]-() WHERE r.time_us <= $until RETURN r
}}
{_IN_FLOW_ORDER}
"""
_EDGES_BOTH = f"""
MATCH (n:Lineage {{id: $id}})-[r:{_FORWARD}|{_BACKWARD}]-()
WHERE r.time_us <= $until
{_IN_FLOW_ORDER}
"""
_EDGES_INTO = {
    kind: "UNWIND $ids AS id MATCH (d:Lineage {id: id})"
    + (f"<-[r:{kind}]-()" if forward else f"-[r:{kind}]->()")
    + f" WHERE r.time_us <= $until RETURN {_EDGE_FIELDS}"
    for kind, forward in _FLOWS_FORWARD.items()
}
_COUNT_INTO = {
    kind: "UNWIND $ids AS id MATCH (d:Lineage {id: id})"
    + (f"<-[r:{kind}]-()" if forward else f"-[r:{kind}]->()")
    + " WHERE r.time_us <= $until RETURN d.id, count(r)"
    for kind, forward in _FLOWS_FORWARD.items()
}
_COUNT_OUT_OF = {
    kind: "UNWIND $ids AS id MATCH (u:Lineage {id: id})"
    + (f"-[r:{kind}]->()" if forward else f"<-[r:{kind}]-()")
    + " RETURN u.id, count(r)"
    for kind, forward in _FLOWS_FORWARD.items()
}
_DROPS_OF = (
    "UNWIND $ids AS id MATCH (d:Drop {node: id}) WHERE d.time_us <= $until"
    " RETURN d.node, d.reason, d.entry, d.time_us ORDER BY d.entry, d.node"
)
_NEIGHBOURS = """
UNWIND $ids AS id MATCH (n:Lineage {{id: id}})
CALL (n) {{
    MATCH (n)-[r:{out}]->(m) WHERE r.time_us <= $until RETURN m
    UNION
    MATCH (n)<-[r:{into}]-(m) WHERE r.time_us <= $until RETURN m
}}
RETURN DISTINCT m.id, m.kind, properties(m), m.entry, m.time_us
"""
_UPSTREAM = _NEIGHBOURS.format(out=_BACKWARD, into=_FORWARD)
_DOWNSTREAM = _NEIGHBOURS.format(out=_FORWARD, into=_BACKWARD)
_STATEMENTS = (
    "UNWIND $entries AS e MATCH (s:Statement {entry: e})"
    " RETURN s.entry, s.predicate_type, s.step, s.version, s.run, s.keyid, s.time_us"
)
_ENTRIES_OF_TYPE = (
    "MATCH (s:Statement) WHERE s.predicate_type IN $types RETURN s.entry ORDER BY s.entry"
)
_REQUESTS_OF = (
    "UNWIND $ids AS id MATCH (q:Request {target: id}) WHERE q.time_us <= $until"
    " RETURN q.target, q.kind, q.at_us, q.entry, q.time_us"
)
_PACKED_ORIGINS = """
MATCH (s:Shard {id: $shard})<-[pk:PACKED_INTO]-(r:Lineage)
WHERE pk.time_us <= $until
OPTIONAL MATCH p = (r)-[:DERIVED_FROM*1..100]->(o:Lineage)
WHERE NOT (o)-[:DERIVED_FROM]->()
RETURN r.id, pk.entry, pk.time_us, o.id, [x IN relationships(p) | x.entry]
"""
_POST_PREFIX = "post:"
_DROP_COUNTS = "MATCH (d:Drop) WHERE d.time_us <= $until RETURN d.entry, d.reason, count(*)"
_FIRST_BATCH, _LARGEST_BATCH, _DEPTH_FIRST_ROWS = 16, 5000, 2000


def edge_row(start: str, end: str, kind: str, entry: int, time_us: int) -> EdgeRow:
    """The edge of a relationship from ``start`` to ``end``, ends named by the data flow."""
    if _FLOWS_FORWARD[kind]:
        return EdgeRow(start, end, kind, entry, time_us)
    return EdgeRow(end, start, kind, entry, time_us)


def _until(as_of_us: int | None) -> int:
    return NEVER if as_of_us is None else as_of_us


def _shard_origins(shard: str, rows: list[list[Any]]) -> Iterator[PackedOrigin]:
    """As the SQLite store's ancestry gives them: of several paths from one post to one
    record, the one with the earliest entries; a record with a path upstream that ends
    anywhere but at a post id (or with no path at all) has a gap (origin None)."""
    best: dict[tuple[str, str | None], PackedOrigin] = {}
    for record, entry, when, origin, path in rows:
        post = origin if origin is not None and origin.startswith(_POST_PREFIX) else None
        line = PackedOrigin(shard, record, entry, when, post, tuple(reversed(path)) if post else ())
        known = best.get((record, post))
        if known is None or line.path < known.path:
            best[(record, post)] = line
    for _, line in sorted(best.items(), key=lambda item: item[0][0]):
        yield line


def _node_row(row: list[Any], legacy: bool) -> NodeRow:
    """A node read as ``id, kind, properties, entry, time_us``."""
    return NodeRow(row[0], row[1], attrs_from(row[2], legacy), row[3], row[4])


class Neo4jGraph:
    """The graph reads of the store contract, through a query runner; ``legacy`` says
    whether the store keeps attributes as one JSON string (made before they were
    properties)."""

    def __init__(self, run: Run, legacy: Callable[[], bool]) -> None:
        self._graph_run = run
        self._legacy = legacy

    def node(self, node_id: str) -> NodeRow | None:
        """The node with this id, if an entry declared it."""
        rows = self._graph_run(_NODE, {"id": node_id})
        if not rows or rows[0][1] is None:
            return None
        return _node_row(rows[0], self._legacy())

    def nodes(self, ids: Sequence[str]) -> dict[str, NodeRow]:
        """The declared nodes among ``ids``, by id."""
        rows = in_chunks(self._graph_run, _NODES, sorted(set(ids)), name="ids")
        legacy = self._legacy()
        return {r[0]: _node_row(r, legacy) for r in rows}

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
        query = _EDGES_DOWN if downstream_only else _EDGES_BOTH
        rows = self._graph_run(query, {"id": node_id, "until": _until(as_of_us), "limit": limit})
        return [edge_row(*r) for r in rows]

    def edges_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> list[EdgeRow]:
        """The ``kind`` edges whose downstream end is one of ``nodes``."""
        query = _EDGES_INTO[kind]
        wanted = sorted(set(nodes))
        rows = in_chunks(self._graph_run, query, wanted, name="ids", until=_until(as_of_us))
        return sorted((edge_row(*r) for r in rows), key=lambda e: (e.down, e.up))

    def count_into(
        self, nodes: Sequence[str], kind: str, as_of_us: int | None = None
    ) -> dict[str, int]:
        """How many ``kind`` edges lead into each of ``nodes``."""
        wanted = sorted(set(nodes))
        rows = in_chunks(
            self._graph_run, _COUNT_INTO[kind], wanted, name="ids", until=_until(as_of_us)
        )
        return {str(node): int(count) for node, count in rows if count}

    def count_out_of(self, nodes: Sequence[str], kind: str) -> dict[str, int]:
        """How many ``kind`` edges lead out of each of ``nodes``."""
        rows = in_chunks(self._graph_run, _COUNT_OUT_OF[kind], sorted(set(nodes)), name="ids")
        return {str(node): int(count) for node, count in rows if count}

    def drops_of(self, nodes: Sequence[str], as_of_us: int | None = None) -> list[DropRow]:
        """The drops recorded against any of ``nodes``, in (entry, node) order."""
        ids = sorted(set(nodes))
        rows = self._graph_run(_DROPS_OF, {"ids": ids, "until": _until(as_of_us)})
        return [DropRow(*r) for r in rows]

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        """Every node reachable from ``root`` (itself included), each once. Depth first,
        one query a batch of the deepest nodes found: small batches until the first
        couple of thousand rows (origins arrive after one query a level), then batches
        of thousands."""
        until = _until(as_of_us)
        query = _UPSTREAM if upstream else _DOWNSTREAM
        legacy = self._legacy()
        start = self.node(root)
        seen = {root}
        if start is None:
            yield NodeRow(root, "", "{}", -1, 0)
        elif start.time_us <= until:
            yield start
        stack: list[list[str]] = [[root]]
        batch = _FIRST_BATCH
        while stack:
            top = stack[-1]
            ids = top[-batch:]
            del top[-batch:]
            if not top:
                stack.pop()
            fresh: list[str] = []
            for node_id, kind, props, entry, when in self._graph_run(
                query, {"ids": ids, "until": until}
            ):
                if node_id in seen:
                    continue
                seen.add(node_id)
                fresh.append(node_id)
                if kind is None:
                    yield NodeRow(node_id, "", "{}", -1, 0)
                elif when <= until:
                    yield NodeRow(node_id, kind, attrs_from(props, legacy), entry, when)
            if fresh:
                stack.append(fresh)
            if len(seen) > _DEPTH_FIRST_ROWS:
                batch = min(batch * 2, _LARGEST_BATCH)

    def statements(self, entries: Iterable[int]) -> dict[int, StatementRow]:
        """The statement rows of these entries, by entry."""
        rows = in_chunks(self._graph_run, _STATEMENTS, sorted(set(entries)), name="entries")
        return {r[0]: StatementRow(*r) for r in rows}

    def entries_of_type(self, predicate_types: Sequence[str]) -> list[int]:
        """The entries whose statements are of these predicate types, in order."""
        rows = self._graph_run(_ENTRIES_OF_TYPE, {"types": list(predicate_types)})
        return [int(row[0]) for row in rows]

    def nodes_of_kind(self, kind: str, limit: int) -> tuple[int, list[NodeRow]]:
        """How many nodes of ``kind`` there are, and the first ``limit`` by (entry, id)."""
        count = self._graph_run(_COUNT_OF_KIND, {"kind": kind})
        rows = self._graph_run(_NODES_OF_KIND, {"kind": kind, "limit": limit})
        legacy = self._legacy()
        return int(count[0][0]) if count else 0, [_node_row(r, legacy) for r in rows]

    def find_nodes(self, text: str, limit: int) -> list[NodeRow]:
        """Up to ``limit`` nodes whose id contains ``text`` (ignoring case), by id."""
        rows = self._graph_run(_FIND_NODES, {"text": text, "limit": limit})
        legacy = self._legacy()
        return [_node_row(r, legacy) for r in rows]

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        """(entry, reason, count) of every drop."""
        rows = self._graph_run(_DROP_COUNTS, {"until": _until(as_of_us)})
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def requests_of(self, targets: Iterable[str], as_of_us: int | None = None) -> list[RequestRow]:
        """Requests about any of ``targets`` recorded by ``as_of_us``, in key order."""
        wanted = sorted(set(targets))
        rows = in_chunks(self._graph_run, _REQUESTS_OF, wanted, name="ids", until=_until(as_of_us))
        return sorted((RequestRow(*r) for r in rows), key=RequestRow.key)

    def packed_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[PackedOrigin]:
        """Every record packed into each shard, once per origin, shard by shard."""
        until = _until(as_of_us)
        for shard in shards:
            rows = self._graph_run(_PACKED_ORIGINS, {"shard": shard, "until": until})
            yield from _shard_origins(shard, rows)


# -- ordered iteration (verify, copy), bounded to entries below ``bound`` --------------

_PAGES = {
    "nodes": (
        "MATCH (n:Lineage) WHERE n.id > $after AND n.kind IS NOT NULL AND n.entry < $bound"
        " RETURN n.id AS after, n.id, n.kind, properties(n), n.entry, n.time_us"
        " ORDER BY n.id LIMIT $page"
    ),
    "drops": (
        "MATCH (d:Drop) WHERE d.key > $after AND d.entry < $bound"
        " RETURN d.key, d.node, d.reason, d.entry, d.time_us ORDER BY d.key LIMIT $page"
    ),
    "requests": (
        "MATCH (q:Request) WHERE q.key > $after AND q.entry < $bound"
        " RETURN q.key, q.target, q.kind, q.at_us, q.entry, q.time_us ORDER BY q.key LIMIT $page"
    ),
    "statements": (
        "MATCH (s:Statement) WHERE s.entry > $after AND s.entry < $bound"
        " RETURN s.entry AS after, s.entry, s.predicate_type, s.step, s.version, s.run, s.keyid,"
        " s.time_us ORDER BY s.entry LIMIT $page"
    ),
}
_ROW_TYPES: dict[str, Any] = {
    "nodes": NodeRow,
    "drops": DropRow,
    "statements": StatementRow,
    "requests": RequestRow,
}
_NODE_IDS_PAGE = "MATCH (n:Lineage) WHERE n.id > $after RETURN n.id ORDER BY n.id LIMIT $page"
_ALL_EDGES_INTO = f"""
UNWIND $ids AS id MATCH (d:Lineage {{id: id}})
CALL (d) {{
    MATCH (d)-[r:{_BACKWARD}]->() RETURN r
    UNION
    MATCH (d)<-[r:{_FORWARD}]-() RETURN r
}}
WITH r WHERE r.entry < $bound
RETURN {_EDGE_FIELDS}
"""


def iter_rows(run: Run, table: str, bound: int, legacy: bool) -> Iterator[ProjectionRow]:
    """Rows of one projection table in key order (as the SQLite store gives them). A node
    whose caption is not its kind and short id is given with its caption in its kind,
    so that it differs from the row its entry asserts."""
    if table == "edges":
        yield from _iter_edges(run, bound)
        return
    if table == "nodes":
        for _, node_id, kind, props, entry, when in pages(run, _PAGES[table], "", bound=bound):
            if not legacy and caption_differs(props):
                kind = f"{kind} (captioned {props.get(CAPTION)!r})"
            yield NodeRow(node_id, kind, attrs_from(props, legacy), entry, when)
        return
    row_type = _ROW_TYPES[table]
    after: str | int = -1 if table == "statements" else ""
    for row in pages(run, _PAGES[table], after, bound=bound):
        yield row_type(*row[1:])


def _iter_edges(run: Run, bound: int) -> Iterator[EdgeRow]:
    """Edges ordered by (down, up, kind): a page of node ids, then the edges into them."""
    after = ""
    while True:
        ids = [r[0] for r in run(_NODE_IDS_PAGE, {"after": after, "page": PAGE})]
        if not ids:
            return
        edges = [edge_row(*r) for r in run(_ALL_EDGES_INTO, {"ids": ids, "bound": bound})]
        yield from sorted(edges, key=EdgeRow.key)
        after = ids[-1]
