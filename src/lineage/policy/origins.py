"""The origins a check evaluates: every record packed into the shards an artifact used,
with each post it derives from, the post's attributes and its author.

Composed here, once for every store, from the store's primitives: the packed origins
(the SQLite store answers them from its ancestry index), the nodes, and the
``AUTHORED`` edges. Rows come in the store's order (on SQLite, by post), and the posts
and authors are read a batch at a time in that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from lineage.model.graph import AUTHORED
from lineage.model.rows import EdgeRow, PackedOrigin
from lineage.store.base import GraphReads

BATCH = 20_000
"""Packed origins composed at a time."""
MAX_CACHED_SUBJECTS = 200_000


class OriginRow(NamedTuple):
    """A record packed into a shard and one post it derives from (``origin`` None: no
    complete path back to any post — a lineage gap), with what the policy reads of them.
    A named tuple: checks make one per record, millions of them."""

    shard: str
    record: str
    packed_entry: int
    packed_time_us: int
    origin: str | None
    path: tuple[int, ...]
    """Entries of the ``DERIVED_FROM`` edges from the origin down to the record."""
    origin_kind: str | None
    """``Post``, or None when the origin is named by an edge but declared by no entry."""
    origin_attrs: str
    origin_entry: int
    origin_time_us: int
    subject: str | None
    subject_attrs: str
    authored_entry: int


def origin_rows(
    store: GraphReads, shards: Iterable[str], as_of_us: int | None = None
) -> Iterator[OriginRow]:
    """Every record packed into ``shards`` by ``as_of_us``, once per post it derives
    from, with the post's attributes and its author's (path, post and authorship are
    not bounded by ``as_of_us``: the check compares their entries' times)."""
    subjects: dict[str, str] = {}
    batch: list[PackedOrigin] = []
    for packed in store.packed_origins(shards, as_of_us):
        batch.append(packed)
        if len(batch) >= BATCH:
            yield from _compose(store, batch, subjects)
            batch = []
    yield from _compose(store, batch, subjects)


def _authors(store: GraphReads, posts: list[str]) -> dict[str, EdgeRow]:
    """The authorship of each post (of several, the least subject id)."""
    found: dict[str, EdgeRow] = {}
    for edge in store.edges_into(posts, AUTHORED):
        found.setdefault(edge.down, edge)
    return found


_UNKNOWN = (None, "{}", -1, 0, None, "{}", -1)
"""What a row says of an origin no entry declares, with no author."""


def _compose(
    store: GraphReads, batch: list[PackedOrigin], subjects: dict[str, str]
) -> Iterator[OriginRow]:
    posts = sorted({p.origin for p in batch if p.origin is not None})
    nodes = store.nodes(posts)
    authors = _authors(store, posts)
    unread = sorted({edge.up for edge in authors.values()} - subjects.keys())
    if unread:
        if len(subjects) + len(unread) > MAX_CACHED_SUBJECTS:
            subjects.clear()
        declared = store.nodes(unread)
        subjects.update((s, declared[s].attrs if s in declared else "{}") for s in unread)
    known: dict[str | None, tuple[object, ...]] = {}
    for post in posts:
        node, author = nodes.get(post), authors.get(post)
        known[post] = (
            *((node.kind, node.attrs, node.entry, node.time_us) if node else _UNKNOWN[:4]),
            *((author.up, subjects[author.up], author.entry) if author else _UNKNOWN[4:]),
        )
    make = OriginRow._make
    for packed in batch:
        yield make(packed + known.get(packed.origin, _UNKNOWN))
