"""The columnar pipeline API: a step records whole columns at once.

::

    posts = collect.origins(frame)          # post_id, platform, surface, visibility,
                                            # created, jurisdiction, author[, author_age,
                                            # content_sha256]
    public = posts.filter(frame["visibility"] == "public")
    visibility.drops(posts.filter(frame["visibility"] != "public"), "not public")
    records = visibility.keeps(public)
    cleaned = redact.transforms(records, content_sha256=digests)
    pack.shard("shard-0001", sha256=digest, size=4096, records=cleaned)

The items a statement commits to are kept as their parts (kind, id, attributes as
canonical JSON text, built from templates: ids are hex pseudonyms or checked names, free
text is encoded once per distinct value), joined into lines when the statement is
sealed, and handed to the ledger beside the lines (:mod:`lineage.model.item_columns`):
admission checks the columns against the signed lines and projects them without a
parse or a row object per item. What stays per record is what cannot be vectorised: one
HMAC per pseudonym.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lineage.errors import InputError
from lineage.ingest.columns import Refs, column_values, table_columns
from lineage.model.graph import (
    AUTHORED,
    DERIVED_FROM,
    DROPPED,
    MAX_ATTR_LENGTH,
    PACKED_INTO,
    POST,
    RECORD,
    SUBJECT,
)
from lineage.model.identity import Subject
from lineage.model.item_columns import EdgeParts, NodeParts, json_text
from lineage.model.times import format_time, parse_time

if TYPE_CHECKING:
    from datetime import datetime

    from lineage.model.identity import Identities

ORIGIN_COLUMNS = (
    "post_id",
    "platform",
    "surface",
    "visibility",
    "created",
    "jurisdiction",
    "author",
)
ORIGIN_OPTIONAL = ("author_age", "content_sha256")
MAX_REASON = 200
_HEX = frozenset("0123456789abcdef")


@lru_cache(maxsize=65536)
def json_string(value: str, field: str) -> str:
    """A string attribute value as JSON (RFC 8785: UTF-8, escapes only where needed),
    checked like any attribute (a string of at most :data:`MAX_ATTR_LENGTH`)."""
    if not isinstance(value, str):
        raise InputError("must be a string", field=field)
    if len(value) > MAX_ATTR_LENGTH:
        raise InputError(f"is longer than {MAX_ATTR_LENGTH}", field=field)
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise InputError("is not valid Unicode", field=field) from exc
    return json_text(value)


def _digest(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or not _HEX.issuperset(value):
        raise InputError("must be 64 lower-case hex characters", field=field)
    return value


@lru_cache(maxsize=4096)
def _time_json(value: str | datetime, field: str) -> str:
    text = format_time(parse_time(value, field) if isinstance(value, str) else value)
    return f'"{text}"'


class ColumnarSteps:
    """The columnar calls of :class:`~lineage.ingest.pipeline.Step` (it provides the
    step's identity, batching and buffers)."""

    _nodes: list[Any]
    _edges: list[Any]
    _declared_subjects: set[str]

    def _identities(self) -> Identities:
        raise NotImplementedError

    def _step_run(self) -> tuple[str, str]:
        raise NotImplementedError

    def _batch_size(self) -> int:
        raise NotImplementedError

    def flush(self) -> None:
        """Seal what the step holds into signed statements (the step's own flush)."""
        raise NotImplementedError

    def _room(self) -> int:
        """Edges this step takes before it seals a statement (as the per-record calls do)."""
        return max(1, self._batch_size() - len(self._edges))

    def _add_lines(self, nodes: list[NodeParts], edges: list[EdgeParts]) -> None:
        """Add pre-encoded items; seal a statement once ``batch_size`` edges wait."""
        self._nodes.extend(nodes)
        self._edges.extend(edges)
        if len(self._edges) >= self._batch_size():
            self.flush()

    def _add_chunks(self, edges: list[EdgeParts]) -> None:
        start = 0
        while start < len(edges):
            room = self._room()
            self._add_lines([], edges[start : start + room])
            start += room

    # -- origins -----------------------------------------------------------------

    def origins(self, posts: object) -> Refs:
        """Public posts at their source, one per row of ``posts``: columns ``post_id``,
        ``platform``, ``surface``, ``visibility``, ``created`` (RFC 3339 text or a
        timestamp), ``jurisdiction``, ``author``, and optionally ``author_age`` and
        ``content_sha256`` (hex). Returns the posts, in the rows' order."""
        rows, cols = table_columns(posts, ORIGIN_COLUMNS, ORIGIN_OPTIONAL, "origins")
        identities = self._identities()
        ages = cols.get("author_age") or [None] * rows
        digests = cols.get("content_sha256") or [None] * rows
        subjects: dict[str, Subject] = {}
        room = self._room()
        ids: list[str] = []
        owners: list[Subject | None] = []
        nodes: list[NodeParts] = []
        edges: list[EdgeParts] = []
        for n in range(rows):
            author = cols["author"][n]
            subject = subjects.get(author)
            if subject is None:
                found = identities.subject(author)
                assert found is not None
                subject = subjects[author] = found
            raw = cols["post_id"][n]
            identities.bind("post", raw, subject)
            post = subject.post_id(raw)
            where = f"origins[{n}]"
            fields = [
                f'"created":{_time_json(cols["created"][n], f"{where}.created")}',
                f'"jurisdiction":{json_string(cols["jurisdiction"][n], f"{where}.jurisdiction")}',
                f'"platform":{json_string(cols["platform"][n], f"{where}.platform")}',
                f'"surface":{json_string(cols["surface"][n], f"{where}.surface")}',
                f'"visibility":{json_string(cols["visibility"][n], f"{where}.visibility")}',
            ]
            if digests[n] is not None:
                digest = subject.content_digest(_digest(digests[n], f"{where}.content_sha256"))
                fields.insert(0, f'"content":"{digest}"')
            node_id = subject.node_id
            if node_id not in self._declared_subjects:
                self._declared_subjects.add(node_id)
                binding = f'"binding":"{subject.author_binding(author)}"'
                age = ages[n]
                declared = (
                    f'"age":{json_string(age, f"{where}.author_age")},{binding}' if age else binding
                )
                nodes.append((SUBJECT, node_id, f"{{{declared}}}"))
            nodes.append((POST, post, f"{{{','.join(fields)}}}"))
            edges.append((AUTHORED, node_id, post))
            ids.append(post)
            owners.append(subject)
            if len(edges) >= room:
                self._add_lines(nodes, edges)
                nodes, edges, room = [], [], self._room()
        self._add_lines(nodes, edges)
        return Refs(POST, ids, owners)

    # -- records -----------------------------------------------------------------

    def transforms(
        self,
        items: Refs,
        record_ids: object | None = None,
        *,
        content_sha256: object | None = None,
    ) -> Refs:
        """New records, one derived from each of ``items`` (posts or records) by this
        step: ``record_ids`` are the pipeline's own ids (to refer to them later by id),
        ``content_sha256`` their contents' SHA-256 (hex); without ids, a record's id
        derives from its source and the step run."""
        if items.kind not in (POST, RECORD):
            raise InputError(f"records derive from posts or records, not {items.kind}")
        raw_ids = self._column(record_ids, len(items), "record_ids")
        digests = self._column(content_sha256, len(items), "content_sha256")
        identities = self._identities()
        name, run = self._step_run()
        room = self._room()
        ids: list[str] = []
        nodes: list[NodeParts] = []
        edges: list[EdgeParts] = []
        for n, (item, subject) in enumerate(items):
            if subject is None:
                raise InputError(f"{item} is not a post or record", field=f"items[{n}]")
            raw = raw_ids[n] if raw_ids is not None else None
            if raw is None:
                raw = f"{item}/{name}/{run}"
            else:
                identities.bind("record", raw, subject)
            record = subject.record_id(raw)
            digest = digests[n] if digests is not None else None
            if digest is None:
                nodes.append((RECORD, record, "{}"))
            else:
                pseudonym = subject.content_digest(_digest(digest, f"content_sha256[{n}]"))
                nodes.append((RECORD, record, f'{{"content":"{pseudonym}"}}'))
            edges.append((DERIVED_FROM, record, item))
            ids.append(record)
            if len(edges) >= room:
                self._add_lines(nodes, edges)
                nodes, edges, room = [], [], self._room()
        self._add_lines(nodes, edges)
        return Refs(RECORD, ids, list(items.subjects))

    def keeps(self, items: Refs, record_ids: object | None = None) -> Refs:
        """``items`` passed this step unchanged: records that derive from them."""
        return self.transforms(items, record_ids)

    def drops(self, items: Refs, reasons: str | object) -> None:
        """``items`` stop here, each for its reason (one text, or one per item)."""
        if items.kind not in (POST, RECORD):
            raise InputError(f"only posts and records can be dropped, not {items.kind}")
        if isinstance(reasons, str):
            texts = [reasons] * len(items)
        else:
            texts = self._column(reasons, len(items), "reasons") or []
        edges = []
        for n, (item, text) in enumerate(zip(items.ids, texts, strict=True)):
            if not isinstance(text, str) or not 1 <= len(text) <= MAX_REASON:
                raise InputError(
                    f"a drop needs a reason of 1-{MAX_REASON} characters", field=f"reasons[{n}]"
                )
            edges.append((DROPPED, item, text))
        self._add_chunks(edges)

    def packs(self, records: Refs, shard: str) -> None:
        """Record that ``records`` were packed into the shard with graph id ``shard``."""
        if records.kind != RECORD:
            raise InputError(f"only records are packed into shards, not {records.kind}")
        self._add_chunks([(PACKED_INTO, record, shard) for record in records.ids])

    @staticmethod
    def _column(values: object | None, rows: int, what: str) -> list[Any] | None:
        if values is None:
            return None
        column = column_values(values, what)
        if len(column) != rows:
            raise InputError(f"{what}: {len(column)} values for {rows} items")
        return column
