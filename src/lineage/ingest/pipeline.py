"""The pipeline API: how a pipeline emits lineage in a few lines.

::

    from lineage.ingest.pipeline import Lineage

    with Lineage.open("sqlite:///lineage.db", keys_dir="lineage-keys") as lg:
        collect = lg.step("collect", version="1.0", run="2025-06-01", key="collector")
        post = collect.origin("fb:123", platform="facebook", surface="feed",
                              visibility="public", created="2025-05-30T08:00:00Z",
                              jurisdiction="US", author="fb:user:42", content="text …")
        clean = lg.step("pii-redact", version="2.1", run="2025-06-01", key="cleaner")
        record = clean.transform(post, content="text [EMAIL]")
        pack = lg.step("pack", run="2025-06-01", key="packer")
        shard = pack.shard("shard-0001", sha256=digest, size=4096, records=[record])

Each step batches what it records into statements of ``batch_size`` edges, signs
each with the step's key and appends it atomically (with its graph projection and
a new checkpoint). Personal identifiers never leave this module in the clear:
they become keyed pseudonyms under per-subject keys (see :mod:`lineage.model.identity`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from lineage.crypto.canonical import canonical_lines
from lineage.crypto.dsse import Envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory, SigningKey
from lineage.errors import InputError
from lineage.ingest.appender import ProcessAppender
from lineage.ingest.columnar import ColumnarSteps
from lineage.ingest.columns import Refs
from lineage.ledger.admission import Located
from lineage.ledger.log import Ledger
from lineage.model.batch import (
    MAX_ITEMS_BYTES,
    BatchEnvelope,
    Commitment,
    artifact_subjects,
    commit_lines,
)
from lineage.model.graph import (
    AUTHORED,
    DATASET,
    DERIVED_FROM,
    DROPPED,
    FINETUNED_FROM,
    MODEL,
    PACKED_INTO,
    PART_OF,
    POST,
    RECORD,
    SHARD,
    SUBJECT,
    SUPERSEDES,
    TRAINED_ON,
    check_attributes,
    make_id,
)
from lineage.model.identity import (
    AUTHOR,
    POST_ID,
    RECORD_ID,
    Identities,
    KeySource,
    Subject,
)
from lineage.model.item_columns import ItemColumns
from lineage.model.predicates import LINEAGE_V2, REQUEST_V2
from lineage.model.requests import TARGET_KIND
from lineage.model.statement import Step as StepInfo
from lineage.model.statement import make_statement
from lineage.model.times import format_time, now, parse_time
from lineage.store import default_keys_dir

DEFAULT_BATCH_SIZE = 1000
MAX_REASON = 200
MAX_BATCH_SIZE = 100_000


@dataclass(frozen=True)
class Ref:
    """A node the pipeline has recorded or named: its graph id and, if personal, its subject."""

    id: str
    kind: str
    subject: Subject | None = None


def content_sha256(content: str | bytes) -> str:
    """The hex SHA-256 of ``content`` (text is UTF-8 encoded first)."""
    data = content.encode() if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


_PLAIN_UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _time_text(value: str | datetime, field: str) -> str:
    """``value`` in the ledger's time format (already-normal strings pass unchanged)."""
    if isinstance(value, str) and _PLAIN_UTC_TIME.fullmatch(value):
        parse_time(value, field)
        return value
    return format_time(value if isinstance(value, datetime) else parse_time(value, field))


def _hex64(value: object, field: str) -> str:
    """``value`` if it is a SHA-256 in lower-case hex."""
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise InputError("must be 64 lower-case hex characters", field=field)
    return value


class Step(ColumnarSteps):
    """One run of one pipeline step, signing with its own registered key (per record, or
    per column: :class:`~lineage.ingest.columnar.ColumnarSteps`)."""

    def __init__(self, owner: Lineage, info: StepInfo, key: SigningKey, time: datetime) -> None:
        self._owner = owner
        self.info = info
        self.key = key
        self.time = time
        self.source: str | None = None
        """Where this run's items came from (``FILE:LINE`` of an input), named by a refusal
        of its statements at append; else they are ``statement N of this run``."""
        self._nodes: list[Any] = []
        self._edges: list[Any] = []
        """Items as values, or already encoded (columnar calls), in order."""
        self._requests: list[list[str]] = []
        self._requested: set[tuple[str, str]] = set()
        self._declared_subjects: set[str] = set()

    def _identities(self) -> Identities:
        return self._owner.identities

    def _step_run(self) -> tuple[str, str]:
        return self.info.name, self.info.run

    def _batch_size(self) -> int:
        return self._owner.batch_size

    # -- origins and decisions ---------------------------------------------------

    def origin(
        self,
        post_id: str,
        *,
        platform: str,
        surface: str,
        visibility: str,
        created: str | datetime,
        jurisdiction: str,
        author: str,
        content: str | bytes | None = None,
        content_digest: str | None = None,
        author_age: str | None = None,
    ) -> Ref:
        """A public post at its source; ``content_digest``: its SHA-256 hex, if not ``content``."""
        identities = self._owner.identities
        subject = identities.subject(author)
        assert subject is not None
        identities.bind("post", post_id, subject)
        attrs: dict[str, Any] = {
            "platform": platform,
            "surface": surface,
            "visibility": visibility,
            "created": _time_text(created, "created"),
            "jurisdiction": jurisdiction,
        }
        check_attributes(POST, attrs, "origin")
        if author_age is not None:
            check_attributes(SUBJECT, {"age": author_age}, "author_age")
        digest = self._digest(content, content_digest)
        if digest is not None:
            attrs["content"] = subject.content_digest(digest)
        post = Ref(subject.post_id(post_id), POST, subject)
        if subject.node_id not in self._declared_subjects:
            self._declared_subjects.add(subject.node_id)
            declared = {"binding": subject.author_binding(author)}
            if author_age:
                declared["age"] = author_age
            self._nodes.append([SUBJECT, subject.node_id, declared])
        self._nodes.append([POST, post.id, attrs])
        self._add_edge(AUTHORED, subject.node_id, post.id)
        return post

    def transform(
        self,
        item: Ref,
        record_id: str | None = None,
        *,
        content: str | bytes | None = None,
        content_digest: str | None = None,
    ) -> Ref:
        """A new record derived from ``item`` (a post or record) by this step.

        ``record_id`` is the pipeline's own id for it, needed only to refer to the
        record later by id (JSON Lines, ``lineage impact --record``); without one the
        record's id derives from its source and the step run.
        """
        subject = self._subject_of(item)
        if record_id is None:
            raw = f"{item.id}/{self.info.name}/{self.info.run}"
        else:
            raw = record_id
            self._owner.identities.bind("record", raw, subject)
        record = Ref(subject.record_id(raw), RECORD, subject)
        attrs: dict[str, Any] = {}
        digest = self._digest(content, content_digest)
        if digest is not None:
            attrs["content"] = subject.content_digest(digest)
        self._nodes.append([RECORD, record.id, attrs])
        self._add_edge(DERIVED_FROM, record.id, item.id)
        return record

    def dataset_record(self, name: str, derived_from: Iterable[Ref] = ()) -> Ref:
        """A record standing for a whole dataset this step made, known only at dataset
        grain (an OpenLineage event without record-level lineage), derived from
        ``derived_from`` (other such records). It belongs to no person and leads back to
        no post: ``check`` reports it as an unknown origin wherever it is packed."""
        record = Ref(make_id(RECORD, name), RECORD)
        self._nodes.append([RECORD, record.id, {}])
        for source in derived_from:
            if source.kind != RECORD or source.subject is not None:
                raise InputError(
                    f"a dataset's record derives from other datasets', not {source.id}"
                )
            self._add_edge(DERIVED_FROM, record.id, source.id)
        return record

    def keep(self, item: Ref, record_id: str | None = None) -> Ref:
        """``item`` passed this step unchanged: a record that derives from it."""
        return self.transform(item, record_id)

    def drop(self, item: Ref, reason: str) -> None:
        """``item`` stops here; it stays in the graph with this step and reason."""
        if item.kind not in (POST, RECORD):
            raise InputError(f"only posts and records can be dropped, not {item.kind}")
        if not isinstance(reason, str) or not 1 <= len(reason) <= MAX_REASON:
            raise InputError(f"a drop needs a reason of 1-{MAX_REASON} characters")
        self._add_edge(DROPPED, item.id, reason)

    # -- requests ----------------------------------------------------------------

    def request(self, kind: str, target: Ref, at: str | datetime) -> None:
        """Record that a person made a request at ``at``: ``deletion`` of a post (its
        author deleted it), ``objection`` or ``erasure`` by a subject (see
        :meth:`Lineage.author`)."""
        wanted = TARGET_KIND.get(kind)
        if wanted is None:
            raise InputError(f"unknown request kind {kind!r} (deletion, objection, erasure)")
        if target.kind != wanted:
            raise InputError(f"a {kind} request is about a {wanted}, not a {target.kind}")
        if (kind, target.id) in self._requested:
            self.flush()
        self._requested.add((kind, target.id))
        self._requests.append([kind, target.id, _time_text(at, "at")])
        if len(self._requests) >= self._owner.batch_size:
            self.flush()

    # -- artifacts ---------------------------------------------------------------

    def shard(
        self,
        name: str,
        *,
        sha256: str,
        size: int,
        records: Iterable[Ref] | Refs = (),
        record_count: int | None = None,
        uri: str | None = None,
        supersedes: Ref | None = None,
    ) -> Ref:
        """A training data file and the records packed into it (``Ref`` objects, or the
        :class:`~lineage.ingest.columns.Refs` of a columnar call); ``supersedes``: the
        shard this one is a new version of (rebuilt without some records)."""
        shard = Ref(make_id(SHARD, name), SHARD)
        packed: list[Ref] | Refs = records if isinstance(records, Refs) else list(records)
        attrs: dict[str, Any] = {
            "sha256": sha256,
            "size": size,
            "records": len(packed) if record_count is None else record_count,
        }
        if uri:
            attrs["uri"] = uri
        if supersedes is not None:
            attrs[SUPERSEDES] = supersedes.id
        _hex64(sha256, "sha256")
        check_attributes(SHARD, attrs, "shard")
        self._nodes.append([SHARD, shard.id, attrs])
        if isinstance(packed, Refs):
            self.packs(packed, shard.id)
        else:
            for record in packed:
                self.pack(record, shard)
        return shard

    def pack(self, record: Ref, shard: Ref) -> None:
        """Record that ``record`` was packed into ``shard``."""
        if record.kind != RECORD:
            raise InputError(f"only records are packed into shards, not {record.kind}")
        self._add_edge(PACKED_INTO, record.id, shard.id)

    def dataset(
        self,
        name: str,
        *,
        shards: Iterable[Ref],
        version: str = "",
        manifest_sha256: str | None = None,
        supersedes: Ref | None = None,
    ) -> Ref:
        """A versioned set of shards (``manifest_sha256``: the SHA-256 of its manifest
        file, which then names the dataset as its statement's in-toto subject;
        ``supersedes``: the dataset version this one replaces)."""
        dataset = Ref(make_id(DATASET, name), DATASET)
        attrs = {"version": version} if version else {}
        if manifest_sha256 is not None:
            attrs["manifest_sha256"] = _hex64(manifest_sha256, "manifest_sha256")
        if supersedes is not None:
            attrs[SUPERSEDES] = supersedes.id
        check_attributes(DATASET, attrs, "dataset")
        self._nodes.append([DATASET, dataset.id, attrs])
        for shard in shards:
            self._add_edge(PART_OF, shard.id, dataset.id)
        return dataset

    def model(
        self,
        name: str,
        *,
        trained_on: Iterable[Ref] = (),
        finetuned_from: Ref | None = None,
        description: str = "",
        weights_sha256: str | None = None,
    ) -> Ref:
        """A training run (or fine-tune) and the datasets or shards it trained on
        (``weights_sha256``: the SHA-256 of its weights file, which then names the model
        as its statement's in-toto subject)."""
        model = Ref(make_id(MODEL, name), MODEL)
        attrs = {"description": description} if description else {}
        if weights_sha256 is not None:
            attrs["checkpoint_sha256"] = _hex64(weights_sha256, "weights_sha256")
        check_attributes(MODEL, attrs, "model")
        self._nodes.append([MODEL, model.id, attrs])
        for source in trained_on:
            self._add_edge(TRAINED_ON, model.id, source.id)
        if finetuned_from is not None:
            self._add_edge(FINETUNED_FROM, model.id, finetuned_from.id)
        return model

    # -- batching ----------------------------------------------------------------

    def _subject_of(self, item: Ref) -> Subject:
        if item.subject is None:
            raise InputError(f"{item.id} is not a post or record")
        return item.subject

    @staticmethod
    def _digest(content: str | bytes | None, digest: str | None) -> str | None:
        if content is not None:
            return content_sha256(content)
        if digest is not None and (len(digest) != 64 or digest.strip("0123456789abcdef")):
            raise InputError("must be 64 lower-case hex characters", field="content_sha256")
        return digest

    def _add_edge(self, kind: str, src: str, dst: str) -> None:
        self._edges.append([kind, src, dst])
        if len(self._edges) >= self._owner.batch_size:
            self.flush()

    def pending(self) -> bool:
        """Whether this step holds nodes, edges or requests not yet sealed."""
        return bool(self._nodes or self._edges or self._requests)

    def flush(self) -> None:
        """Seal what this step recorded so far into signed batch statements (one for
        lineage, one for requests, each split in as many as keep its items within
        :data:`~lineage.model.batch.MAX_ITEMS_BYTES`), and append them."""
        if self._nodes or self._edges:
            nodes, edges = self._nodes, self._edges
            self._nodes, self._edges = [], []
            self._seal_batch(LINEAGE_V2, [nodes, edges])
        if self._requests:
            requests, self._requests = self._requests, []
            self._requested = set()
            self._seal_batch(REQUEST_V2, [requests])

    def _seal_batch(self, predicate_type: str, sections: list[list[Any]]) -> None:
        """Seal ``sections`` (a Lineage/v2 batch's nodes and edges, or a Request/v2
        batch's requests) as one statement, or, if its items would be too large to
        store, as two halves (each split again as needed), in order."""
        columns = _item_columns(*sections) if predicate_type == LINEAGE_V2 else None
        encoded = columns.sections() if columns else [canonical_lines(s) for s in sections]
        commitment, items = commit_lines(predicate_type, encoded)
        if len(items) > MAX_ITEMS_BYTES and commitment.total > 1:
            flat = [(n, item) for n, section in enumerate(sections) for item in section]
            half = commitment.total // 2
            for part in (flat[:half], flat[half:]):
                split = [[item for n, item in part if n == k] for k in range(len(sections))]
                self._seal_batch(predicate_type, split)
            return
        nodes = sections[0] if predicate_type == LINEAGE_V2 else []
        artifacts = [node for node in nodes if isinstance(node, list)]
        self._sign_batch(commitment, items, columns, artifacts)

    def seal_committed(self, commitment: Commitment, columns: ItemColumns) -> None:
        """Sign and append a Lineage/v2 batch of records, drops and packings that was
        sealed elsewhere (a Spark executor: :mod:`lineage.ingest.spark_emit`): the statement
        signs ``commitment``, and the ledger refuses it unless ``columns`` are exactly the
        items committed to."""
        if commitment.predicate_type != LINEAGE_V2:
            raise InputError("only Lineage/v2 batches are sealed elsewhere")
        self.flush()
        self._sign_batch(commitment, b"\n".join(columns.lines()), columns, [])

    def _sign_batch(
        self,
        commitment: Commitment,
        items: bytes,
        columns: ItemColumns | None,
        artifacts: list[list[Any]],
    ) -> None:
        subjects = artifact_subjects(artifacts, commitment.root, self.info.name)
        fields = {"batch": commitment.to_json()}
        statement = make_statement(
            subjects, commitment.predicate_type, self.info, self.time, fields
        )
        signed = sign_envelope(statement.payload(), self.key)
        self._owner.submit(BatchEnvelope(**vars(signed), items=items, columns=columns), self.source)


def _item_columns(nodes: list[Any], edges: list[Any]) -> ItemColumns:
    """A Lineage/v2 batch's items as columns: parts as the columnar calls made them, or
    taken from the per-record calls' values (attributes encoded in bulk)."""
    values = [node[2] for node in nodes if isinstance(node, list)]
    encoded = iter(line.decode() for line in canonical_lines(values))
    node_parts = [
        (node[0], node[1], next(encoded)) if isinstance(node, list) else node for node in nodes
    ]
    edge_parts = [(e[0], e[1], e[2]) if isinstance(e, list) else e for e in edges]
    return ItemColumns(node_parts, edge_parts)


class Lineage:
    """A ledger opened for a pipeline: declare steps, record, flush, close."""

    def __init__(
        self,
        ledger: Ledger,
        log_key: SigningKey,
        keys: KeyDirectory | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        statements_per_append: int = 1,
        key_source: KeySource | None = None,
        background: bool = False,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise InputError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
        self.ledger = ledger
        self.batch_size = batch_size
        self.statements_per_append = max(1, statements_per_append)
        self.identities = Identities(ledger.store.identities(), key_source)
        self._log_key = log_key
        self._keys = keys
        self._steps: list[Step] = []
        self._queue: list[tuple[str | None, Envelope]] = []
        self._submitted = 0
        self._appended = 0
        self._background: ProcessAppender | None = None
        if background:
            if keys is None:
                raise InputError("background appends need a keys directory (Lineage.open)")
            self._background = ProcessAppender(
                ledger.store.open_url, keys.path, ledger.log_key_name
            )

    @property
    def appended(self) -> int:
        """Entries this run added to the log (identical statements already there excluded)."""
        return self._appended + (self._background.appended if self._background else 0)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        keys_dir: str | Path | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        statements_per_append: int = 1,
        key_source: KeySource | None = None,
        background: bool = False,
    ) -> Lineage:
        """Open the ledger at ``url`` for a pipeline.

        ``statements_per_append`` statements are appended together (one transaction,
        one checkpoint). With ``background=True`` appends run in a second process
        (:mod:`lineage.ingest.appender`), overlapping the pipeline's work on another core; an
        append's error is then raised at the next call that submits, flushes or closes.
        """
        ledger = Ledger.open(url)
        keys = KeyDirectory(Path(keys_dir) if keys_dir is not None else default_keys_dir(url))
        return cls(
            ledger,
            ledger.load_log_key(keys),
            keys,
            batch_size=batch_size,
            statements_per_append=statements_per_append,
            key_source=key_source,
            background=background,
        )

    def step(
        self,
        name: str,
        *,
        key: str | SigningKey,
        version: str = "",
        run: str = "",
        time: str | datetime | None = None,
    ) -> Step:
        """Declare a step run; its statements are signed by ``key`` (a name or a loaded key)."""
        if isinstance(key, str):
            if self._keys is None:
                raise InputError("no keys directory: pass a SigningKey")
            key = self._keys.load(key)
        when = (
            now()
            if time is None
            else (time if isinstance(time, datetime) else parse_time(time, "time"))
        )
        step = Step(self, StepInfo(name, version, run), key, when)
        self._steps.append(step)
        return step

    def post(self, post_id: str) -> Ref:
        """A post recorded earlier (by any process), by its platform id."""
        return self._recorded(POST_ID, post_id, POST)

    def author(self, author_id: str) -> Ref:
        """The subject node of an author recorded earlier, by their platform id."""
        return self._recorded(AUTHOR, author_id, SUBJECT)

    def record(self, record_id: str) -> Ref:
        """A record recorded earlier with this pipeline record id."""
        return self._recorded(RECORD_ID, record_id, RECORD)

    def _recorded(self, kind: str, raw: str, node_kind: str) -> Ref:
        found = self.identities.resolve(kind, raw)
        if found is None:
            raise InputError(f"unknown {kind} {raw!r}")
        subject, node_id = found
        return Ref(node_id, node_kind, subject)

    def submit(self, envelope: Envelope, source: str | None = None) -> None:
        """Queue a signed envelope; appends the queue when it holds ``statements_per_append``.
        ``source``: where it came from, to name if the append refuses it."""
        self._queue.append((source, envelope))
        if len(self._queue) >= self.statements_per_append:
            self._append_queue()

    def _append_queue(self) -> None:
        if not self._queue:
            return
        batch, self._queue = self._queue, []
        first = self._submitted + 1
        self._submitted += len(batch)
        located: list[Located] = [
            (source or f"statement {first + i} of this run", envelope)
            for i, (source, envelope) in enumerate(batch)
        ]
        if self._background is not None:
            self._confirm_written()
            self._background.submit(located, self.identities.take_pending())
            return
        pending = self.identities.take_pending()
        try:
            result = self.ledger.append(located, self._log_key, identities=pending)
        except BaseException:
            self.identities.restore(pending)
            raise
        if pending is not None:
            self.identities.confirm(pending)
        self._appended += result.added

    def _confirm_written(self) -> None:
        assert self._background is not None
        for pending in self._background.confirmed:
            self.identities.confirm(pending)
        self._background.confirmed.clear()

    def flush(self) -> None:
        """Seal and append everything recorded so far; returns once it is committed."""
        for step in self._steps:
            step.flush()
        self._append_queue()
        if self._background is not None:
            self._background.wait()
            self._confirm_written()

    def close(self) -> None:
        """Flush everything recorded, then stop the append process and close the ledger."""
        try:
            self.flush()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        try:
            if self._background is not None:
                self._background.close()
        finally:
            self.ledger.close()

    def __enter__(self) -> Lineage:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._shutdown()
