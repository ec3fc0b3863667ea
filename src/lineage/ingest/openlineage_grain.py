"""An OpenLineage event without record-level lineage, recorded at job/dataset grain: the
run made its output datasets from its input datasets, and nothing is known of the posts
behind them.

A dataset named like a lineage node id (``shard:…``, ``ds:…``, ``model:…``) is that node;
any other dataset is a record standing for the whole dataset
(:meth:`~lineage.ingest.pipeline.Step.dataset_record`), derived from the run's other such
inputs, packed into the shards it outputs. Those records lead back to no post, so ``check``
reports every one of them packed into an artifact's shards as an unknown origin.

An output shard needs its SHA-256 (the ``version`` facet's ``datasetVersion``), its size
in bytes and record count (the ``outputStatistics`` output facet's ``size`` and
``rowCount``).
"""

from __future__ import annotations

from typing import Any

from lineage.errors import InputError
from lineage.ingest.pipeline import Ref, Step
from lineage.model.graph import DATASET, MODEL, RECORD, SHARD, kind_of, make_id
from lineage.model.openlineage_facet import dataset_record_name

MAX_DATASETS = 10_000
"""Inputs, and outputs, one event may name."""
MAX_NAME = 1000


def _datasets(event: dict[str, Any], side: str) -> list[tuple[str, Ref, dict[str, Any]]]:
    """(field, node, dataset) of each of the event's ``inputs`` or ``outputs``."""
    datasets = event.get(side, [])
    if not isinstance(datasets, list) or len(datasets) > MAX_DATASETS:
        raise InputError(f"must be a list of at most {MAX_DATASETS:,} datasets", field=side)
    found = []
    for n, dataset in enumerate(datasets):
        where = f"{side}[{n}]"
        if not isinstance(dataset, dict):
            raise InputError("must be an object", field=where)
        namespace, name = dataset.get("namespace"), dataset.get("name")
        for value in (namespace, name):
            if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
                problem = f"needs a namespace and a name of 1-{MAX_NAME} characters"
                raise InputError(problem, field=where)
        assert isinstance(namespace, str) and isinstance(name, str)
        found.append((where, _node(namespace, name, where), dataset))
    return found


def _node(namespace: str, name: str, where: str) -> Ref:
    """The node a dataset stands for: the lineage node it is named after, or its record."""
    try:
        kind = kind_of(name)
    except InputError:
        kind = RECORD
    if kind in (SHARD, DATASET, MODEL):
        return Ref(name, kind)
    try:
        return Ref(make_id(RECORD, dataset_record_name(namespace, name)), RECORD)
    except InputError as exc:
        raise InputError(exc.problem, field=f"{where}.name") from exc


def record_datasets(step: Step, event: dict[str, Any]) -> None:
    """Record that ``step`` made the event's outputs from its inputs."""
    inputs = _datasets(event, "inputs")
    by_kind: dict[str, list[Ref]] = {RECORD: [], SHARD: [], DATASET: [], MODEL: []}
    for _, ref, _ in inputs:
        by_kind[ref.kind].append(ref)
    for where, ref, dataset in _datasets(event, "outputs"):
        name = ref.id.partition(":")[2]
        if ref.kind == RECORD:
            _only(by_kind, (RECORD,), where, "a dataset")
            step.dataset_record(name, by_kind[RECORD])
        elif ref.kind == SHARD:
            _only(by_kind, (RECORD,), where, "a shard")
            _shard(step, name, dataset, where, by_kind[RECORD])
        elif ref.kind == DATASET:
            _only(by_kind, (SHARD,), where, "a ds:… dataset")
            step.dataset(name, shards=by_kind[SHARD], version=_version(dataset) or "")
        else:
            _only(by_kind, (SHARD, DATASET, MODEL), where, "a model")
            bases = by_kind[MODEL]
            if len(bases) > 1:
                raise InputError("a model is fine-tuned from one model, not several", field=where)
            step.model(
                name,
                trained_on=by_kind[SHARD] + by_kind[DATASET],
                finetuned_from=bases[0] if bases else None,
            )


def _only(by_kind: dict[str, list[Ref]], allowed: tuple[str, ...], where: str, what: str) -> None:
    for kind, refs in by_kind.items():
        if refs and kind not in allowed:
            raise InputError(
                f"{what} cannot be made from {refs[0].id} (a {kind}) in lineage's graph",
                field=where,
            )


def _version(dataset: dict[str, Any]) -> str | None:
    facet = (dataset.get("facets") or {}).get("version")
    value = facet.get("datasetVersion") if isinstance(facet, dict) else None
    return value if isinstance(value, str) else None


def _shard(step: Step, name: str, dataset: dict[str, Any], where: str, records: list[Ref]) -> None:
    stats = (dataset.get("outputFacets") or {}).get("outputStatistics")
    stats = stats if isinstance(stats, dict) else {}
    size, rows, sha256 = stats.get("size"), stats.get("rowCount"), _version(dataset)
    if not isinstance(size, int) or not isinstance(rows, int) or sha256 is None:
        raise InputError(
            "a shard needs facets.version.datasetVersion (its SHA-256) and"
            " outputFacets.outputStatistics size and rowCount",
            field=where,
        )
    try:
        step.shard(name, sha256=sha256, size=size, record_count=rows, records=records)
    except InputError as exc:
        raise InputError(exc.problem, field=f"{where}.{exc.field}" if exc.field else where) from exc
