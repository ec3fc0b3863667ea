"""The graph-projection reads of the store contract, shared by both stores: each store
names the module of its queries and the handle they run on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from lineage.model.rows import DropRow, EdgeRow, NodeRow, OriginRow, RequestRow, StatementRow


class GraphQueries(Protocol):
    """What a store's query module (``sqlite_graph``, ``neo4j_graph``) provides."""

    def node(self, handle: Any, node_id: str) -> NodeRow | None: ...

    def edges_of(
        self, handle: Any, node_id: str, as_of_us: int | None, downstream_only: bool, limit: int
    ) -> list[EdgeRow]: ...

    def drops_of(self, handle: Any, node_id: str, as_of_us: int | None) -> list[DropRow]: ...

    def walk(
        self, handle: Any, root: str, upstream: bool, as_of_us: int | None
    ) -> Iterator[NodeRow]: ...

    def statements(self, handle: Any, entries: Iterable[int]) -> dict[int, StatementRow]: ...

    def drop_counts(self, handle: Any, as_of_us: int | None) -> list[tuple[int, str, int]]: ...

    def requests_of(
        self, handle: Any, targets: Iterable[str], as_of_us: int | None
    ) -> list[RequestRow]: ...

    def shard_origins(
        self, handle: Any, shards: Iterable[str], as_of_us: int | None
    ) -> Iterator[OriginRow]: ...


class GraphReads:
    def _graph(self) -> tuple[GraphQueries, Any]:
        """The query module and the handle (connection, query runner) to pass it."""
        raise NotImplementedError

    def node(self, node_id: str) -> NodeRow | None:
        queries, handle = self._graph()
        return queries.node(handle, node_id)

    def edges_of(
        self,
        node_id: str,
        as_of_us: int | None = None,
        *,
        downstream_only: bool = False,
        limit: int = 1_000_000,
    ) -> list[EdgeRow]:
        queries, handle = self._graph()
        return queries.edges_of(handle, node_id, as_of_us, downstream_only, limit)

    def drops_of(self, node_id: str, as_of_us: int | None = None) -> list[DropRow]:
        queries, handle = self._graph()
        return queries.drops_of(handle, node_id, as_of_us)

    def walk(self, root: str, upstream: bool, as_of_us: int | None = None) -> Iterator[NodeRow]:
        queries, handle = self._graph()
        return queries.walk(handle, root, upstream, as_of_us)

    def statements(self, entries: Iterable[int]) -> dict[int, StatementRow]:
        queries, handle = self._graph()
        return queries.statements(handle, entries)

    def drop_counts(self, as_of_us: int | None = None) -> list[tuple[int, str, int]]:
        queries, handle = self._graph()
        return queries.drop_counts(handle, as_of_us)

    def requests_of(self, targets: Iterable[str], as_of_us: int | None = None) -> list[RequestRow]:
        queries, handle = self._graph()
        return queries.requests_of(handle, targets, as_of_us)

    def shard_origins(
        self, shards: Iterable[str], as_of_us: int | None = None
    ) -> Iterator[OriginRow]:
        queries, handle = self._graph()
        return queries.shard_origins(handle, shards, as_of_us)
