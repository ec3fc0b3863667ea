"""Lineage from a Spark pipeline, partition by partition, with the keys on the driver.

::

    kept = records.where("score >= 0.5")          # a DataFrame with a ``record`` column
    emit_partitions(filter_step, records.where("score < 0.5").selectExpr(
        "record AS node", "'low quality' AS reason"), dropped(), staging)
    emit_partitions(pack_step, kept.selectExpr("record", "'shard:0001' AS shard"),
        packed_into(), staging)

Each executor turns its partition's rows into batch items (:data:`PartitionItems`),
seals them into batches of at most the step's batch size, computes each batch's Merkle
root, writes the batch's items to ``staging`` (a directory executors and driver share)
and returns one small row a batch: its file, root and counts. The driver signs one
statement a batch over the executor's root and appends it with the staged items, which
the ledger checks against the root before it stores them: a wrong or altered batch is
refused, not signed into the log. Signing keys never leave the driver.

Pseudonymous ids are minted with the subjects' keys, which stay in the ledger's
identity store: a Spark pipeline records posts and mints record ids through the
columnar API on the driver (or receives the ids from an earlier run), and emits the
bulk of its edges — drops and packings, millions per shard — from the executors.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from lineage.errors import InputError, StoreError
from lineage.ingest.columnar import MAX_REASON
from lineage.ingest.pipeline import MAX_BATCH_SIZE
from lineage.model.batch import MAX_ITEMS_BYTES, Commitment, commit_lines
from lineage.model.graph import DATASET, DROPPED, MODEL, PACKED_INTO, SHARD
from lineage.model.item_columns import ItemColumns
from lineage.model.predicates import LINEAGE_V2
from lineage.spark_errors import SPARK_ERRORS, spark_reason

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lineage.ingest.pipeline import Step

PartitionItems = Callable[[pa.RecordBatch], ItemColumns]
"""What an executor runs on each Arrow batch of its partition: the batch items (nodes
and edges) those rows stand for."""
STAGED_SCHEMA = (
    "partition BIGINT, sequence BIGINT, file STRING, root BINARY, nodes BIGINT, edges BIGINT"
)
_STAGED_ARROW = pa.schema(
    [
        ("partition", pa.int64()),
        ("sequence", pa.int64()),
        ("file", pa.string()),
        ("root", pa.binary()),
        ("nodes", pa.int64()),
        ("edges", pa.int64()),
    ]
)
_ARTIFACTS = frozenset({SHARD, DATASET, MODEL})
_PARTS = pa.schema(
    [("section", pa.int8()), ("kind", pa.string()), ("first", pa.string()), ("second", pa.string())]
)


def _strings(batch: pa.RecordBatch, name: str) -> list[str]:
    index = batch.schema.get_field_index(name)
    if index < 0:
        raise InputError(f"the partition has no column {name!r}")
    values: list[object] = batch.column(index).to_pylist()
    strings = [value for value in values if isinstance(value, str)]
    if len(strings) != len(values):
        raise InputError(f"column {name!r} must hold strings, without nulls")
    return strings


def _dropped(batch: pa.RecordBatch, node: str, reason: str) -> ItemColumns:
    nodes, reasons = _strings(batch, node), _strings(batch, reason)
    for text in reasons:
        if not 1 <= len(text) <= MAX_REASON:
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise InputError(f"a drop needs a reason of 1-{MAX_REASON} characters: {shown!r}")
    return ItemColumns([], [(DROPPED, n, r) for n, r in zip(nodes, reasons, strict=True)])


def _packed_into(batch: pa.RecordBatch, record: str, shard: str) -> ItemColumns:
    pairs = zip(_strings(batch, record), _strings(batch, shard), strict=True)
    return ItemColumns([], [(PACKED_INTO, r, s) for r, s in pairs])


def dropped(node: str = "node", reason: str = "reason") -> PartitionItems:
    """Rows that stop here: the item's id (``post:…``/``rec:…``) and the reason."""
    return partial(_dropped, node=node, reason=reason)


def packed_into(record: str = "record", shard: str = "shard") -> PartitionItems:
    """Rows packed into a shard: the record's id and the shard's (``shard:…``, declared
    by the driver's ``step.shard``)."""
    return partial(_packed_into, record=record, shard=shard)


def _seal(
    columns: ItemColumns, staging: str, partition: int, sequence: list[int]
) -> Iterator[pa.RecordBatch]:
    """Stage ``columns`` as one batch (or halves, in order, while its items are too
    large); ``sequence`` numbers the partition's batches."""
    commitment, items = commit_lines(LINEAGE_V2, columns.sections())
    if len(items) > MAX_ITEMS_BYTES and commitment.total > 1:
        parts = [*((0, n) for n in columns.nodes), *((1, e) for e in columns.edges)]
        half = len(parts) // 2
        for chosen in (parts[:half], parts[half:]):
            nodes = [item for section, item in chosen if section == 0]
            edges = [item for section, item in chosen if section == 1]
            yield from _seal(ItemColumns(nodes, edges), staging, partition, sequence)
        return
    sections = [0] * len(columns.nodes) + [1] * len(columns.edges)
    parts_list = [*columns.nodes, *columns.edges]
    table = pa.table(
        [
            pa.array(sections, pa.int8()),
            pa.array([p[0] for p in parts_list], pa.string()),
            pa.array([p[1] for p in parts_list], pa.string()),
            pa.array([p[2] for p in parts_list], pa.string()),
        ],
        schema=_PARTS,
    )
    final = Path(staging) / f"{partition}-{sequence[0]}-{uuid.uuid4().hex}.arrow"
    temporary = final.with_suffix(".tmp")
    with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, _PARTS) as writer:
        writer.write_table(table)
    os.replace(temporary, final)
    row = {
        "partition": partition,
        "sequence": sequence[0],
        "file": final.name,
        "root": commitment.root,
        "nodes": commitment.counts[0],
        "edges": commitment.counts[1],
    }
    sequence[0] += 1
    yield pa.RecordBatch.from_pylist([row], schema=_STAGED_ARROW)


def stage_partition(
    batches: Iterator[pa.RecordBatch], items: PartitionItems, staging: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """On an executor: the partition's rows as staged batches of at most ``batch_size``
    items, one row (partition, sequence, file, root, counts) a batch."""
    from pyspark import TaskContext

    context = TaskContext.get()
    partition = context.partitionId() if context else 0
    pending = ItemColumns()
    sequence = [0]
    for batch in batches:
        found = items(batch)
        if any(kind in _ARTIFACTS for kind, _, _ in found.nodes):
            raise InputError("shards, datasets and models are declared on the driver")
        pending.nodes += found.nodes
        pending.edges += found.edges
        while len(pending.nodes) + len(pending.edges) >= batch_size:
            nodes = min(len(pending.nodes), batch_size)
            edges = batch_size - nodes
            chunk = ItemColumns(pending.nodes[:nodes], pending.edges[:edges])
            pending = ItemColumns(pending.nodes[nodes:], pending.edges[edges:])
            yield from _seal(chunk, staging, partition, sequence)
    if pending.edges or pending.nodes:
        yield from _seal(pending, staging, partition, sequence)


def read_staged(path: Path) -> ItemColumns:
    """The items an executor staged in ``path``."""
    try:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"{path}: a staged batch could not be read: {exc}") from exc
    columns = ItemColumns()
    for section, kind, first, second in zip(
        *(table.column(name).to_pylist() for name in _PARTS.names), strict=True
    ):
        (columns.nodes if section == 0 else columns.edges).append((kind, first, second))
    return columns


@dataclass(frozen=True)
class Emitted:
    """What :func:`emit_partitions` submitted to the ledger (appended at the step's next
    flush at the latest)."""

    batches: int
    nodes: int
    edges: int


def emit_partitions(
    step: Step,
    frame: DataFrame,
    items: PartitionItems,
    staging: Path,
    *,
    batch_size: int = 1000,
) -> Emitted:
    """Record ``frame``'s rows as ``step``'s lineage: executors stage the batches in a
    directory of this call's own under ``staging`` (shared by executors and driver), the
    driver signs and submits one statement a batch, in partition order, and the
    directory is removed whatever happens. Raises InputError if a partition's rows are
    not valid items; a failure after some batches were submitted leaves those submitted
    (as a failed per-record pipeline does), so re-run the step only for what is missing."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InputError(f"batch size must be between 1 and {MAX_BATCH_SIZE}")
    staging.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory = Path(tempfile.mkdtemp(prefix="emit-", dir=staging))
    stage = partial(stage_partition, items=items, staging=str(directory), batch_size=batch_size)
    nodes = edges = 0
    try:
        try:
            staged = frame.mapInArrow(stage, STAGED_SCHEMA).collect()
        except SPARK_ERRORS as exc:
            reason = spark_reason(exc)
            error = InputError if "InputError" in reason else StoreError
            raise error(f"a partition could not be staged: {reason}") from exc
        for row in sorted(staged, key=lambda r: (int(r["partition"]), int(r["sequence"]))):
            columns = read_staged(directory / row["file"])
            counts = (int(row["nodes"]), int(row["edges"]))
            step.seal_committed(Commitment(LINEAGE_V2, bytes(row["root"]), counts), columns)
            nodes, edges = nodes + counts[0], edges + counts[1]
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return Emitted(len(staged), nodes, edges)
