"""OpenLineage RunEvents of the step runs behind an artifact (or of every step run), built
with the OpenLineage client's own classes.

One COMPLETE event per step run: the job is the step (in a namespace derived from the log
origin), the runId a UUID derived from (log origin, step, version, run), so exporting again
gives the same events. Inputs and outputs are OpenLineage datasets: the shards, datasets
and models the run consumed and made, and one dataset standing for the posts or records
it kept (``STEP/posts``, ``STEP/records``), with the standard facets that fit (dataset
version, input and output statistics, job type, processing engine, nominal time). The
``lineage_run`` run facet (:mod:`lineage.model.openlineage_facet`) carries the ledger's
side: entries, signers, counts kept and dropped by reason, requests, and the checkpoint;
with ``records``, every node, edge and request the run's statements assert, split across
RUNNING events of the same run when there are more than one event holds.
"""

from __future__ import annotations

import json
import uuid
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version as package_version
from typing import Any

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    OutputDatasetFacet,
    RunFacet,
    dataset_version_dataset,
    input_statistics_input_dataset,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    processing_engine_run,
)
from openlineage.client.serde import Serde

from lineage.errors import InputError, LineageError
from lineage.export.openlineage_records import record_parts, run_items
from lineage.export.openlineage_runs import ExportedRun, exported_runs, kept_records_dataset
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.ledger.projection import time_us
from lineage.model.graph import DATASET, MODEL, POST, SHARD
from lineage.model.openlineage_facet import (
    FACET_NAME,
    MAX_RECORD_ITEMS,
    SCHEMA_URL,
    posts_dataset,
    records_dataset,
)
from lineage.model.rows import NodeRow
from lineage.model.times import format_us
from lineage.query.runs import StepRun

PRODUCER = "https://lineage.dev/lineage"
"""The ``producer`` of every event and facet lineage writes (its version follows a slash)."""
_RUN_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://lineage.dev/openlineage/runs")
MAX_NAMESPACE = 200


@attr.define
class LineageRunFacet(RunFacet):
    """The ``lineage_run`` facet (schema: ``docs/openlineage/lineage-run-facet.json``)."""

    step: str
    version: str
    run: str
    entries: list[int]
    signers: list[dict[str, str]]
    kept: dict[str, int]
    dropped: dict[str, int]
    requests: dict[str, int]
    checkpoint: dict[str, Any]
    records: dict[str, Any] | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL


@dataclass(frozen=True)
class ExportOptions:
    """What an export describes and how: the namespace (None: from the log origin), the
    ledger's time, and whether (and in parts of how many items) record-level lineage goes
    into the events."""

    namespace: str | None = None
    as_of: datetime | None = None
    records: bool = False
    max_items: int = MAX_RECORD_ITEMS
    version: str = "unknown"
    """lineage's version, named in the events' producer and processing-engine facet."""


def default_namespace(origin: str) -> str:
    """The namespace of a ledger's jobs and datasets: ``lineage://`` and its log origin."""
    return f"lineage://{origin}"


def run_id(origin: str, step: str, version: str, run: str) -> str:
    """The runId of a step run: a UUID (version 5) of the log origin, step, version and run."""
    return str(uuid.uuid5(_RUN_IDS, json.dumps([origin, step, version, run])))


def openlineage_events(
    ledger: Ledger, artifact: str | None, options: ExportOptions = ExportOptions()
) -> list[RunEvent]:
    """The RunEvents of the step runs upstream of ``artifact`` (None: of every step run)."""
    namespace = options.namespace or default_namespace(ledger.origin)
    if not 1 <= len(namespace) <= MAX_NAMESPACE:
        raise InputError(f"must be 1-{MAX_NAMESPACE} characters", field="--namespace")
    if not 1 <= options.max_items <= MAX_RECORD_ITEMS:
        raise InputError(f"must be 1-{MAX_RECORD_ITEMS:,}", field="max_items")
    store = ledger.store
    as_of_us = time_us(options.as_of) if options.as_of is not None else None
    with store.snapshot():
        latest = ledger.latest_checkpoint()
        if latest is None:
            raise InputError("the ledger has no checkpoint yet: nothing was appended")
        checkpoint = checkpoint_of(latest)
        signed = {
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": b64encode(checkpoint.root).decode(),
        }
        names = {signer.keyid: signer.name for signer in store.signers()}
        builder = _EventBuilder(ledger.origin, namespace, signed, names, options.version)
        events = []
        for run in exported_runs(ledger, artifact, as_of_us):
            parts = (
                record_parts(run_items(store, run.entries), options.max_items)
                if options.records
                else [None]
            )
            for part in parts:
                events.append(builder.event(run, part))
    return events


def event_json(event: RunEvent) -> dict[str, Any]:
    """The event as the OpenLineage client serialises it (what its transports send)."""
    value: dict[str, Any] = Serde.to_dict(event)
    return value


def event_line(event: RunEvent) -> bytes:
    """One JSON Lines line of the event; refuses a value the JSON encoder cannot write
    (the client's own serialiser would replace it with a placeholder)."""
    return json.dumps(event_json(event), sort_keys=True, separators=(",", ":")).encode() + b"\n"


class _EventBuilder:
    def __init__(
        self,
        origin: str,
        namespace: str,
        checkpoint: dict[str, Any],
        names: dict[str, str],
        version: str,
    ) -> None:
        self.producer = f"{PRODUCER}/{version}"
        self.origin = origin
        self.namespace = namespace
        self.checkpoint = checkpoint
        self.names = names
        self.engine = processing_engine_run.ProcessingEngineRunFacet(
            version=version,
            name="lineage",
            openlineageAdapterVersion=package_version("openlineage-python"),
            producer=self.producer,
        )
        self.job_type = job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="LINEAGE", jobType="STEP", producer=self.producer
        )

    def event(self, exported: ExportedRun, records: dict[str, Any] | None) -> RunEvent:
        run = exported.counts
        facet = LineageRunFacet(
            step=run.step,
            version=run.version,
            run=run.run,
            entries=exported.entries,
            signers=[
                {"name": self.names.get(keyid, keyid[:16]), "keyid": keyid}
                for keyid in sorted(exported.keyids)
            ],
            kept=dict(sorted(run.declared.items())),
            dropped=dict(sorted(run.dropped.items())),
            requests=dict(sorted(exported.requests.items())),
            checkpoint=self.checkpoint,
            records=records,
            producer=self.producer,
        )
        if records is not None and Serde.to_dict(facet)["records"] != records:
            raise LineageError(f"{run.label}: the OpenLineage serialiser would alter its records")
        last = records is None or records["part"] == records["parts"]
        return RunEvent(
            eventType=RunState.COMPLETE if last else RunState.RUNNING,
            eventTime=format_us(exported.last_us),
            run=Run(
                runId=run_id(self.origin, run.step, run.version, run.run),
                facets={
                    "nominalTime": nominal_time_run.NominalTimeRunFacet(
                        nominalStartTime=format_us(exported.first_us),
                        nominalEndTime=format_us(exported.last_us),
                        producer=self.producer,
                    ),
                    "processing_engine": self.engine,
                    FACET_NAME: facet,
                },
            ),
            job=Job(namespace=self.namespace, name=run.step, facets={"jobType": self.job_type}),
            inputs=self._inputs(exported),
            outputs=self._outputs(exported),
            producer=self.producer,
        )

    def _inputs(self, exported: ExportedRun) -> list[InputDataset]:
        inputs = []
        for consumed in exported.consumed:
            producer = consumed.producer
            stats = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=consumed.edges, producer=self.producer
            )
            inputs.append(
                InputDataset(
                    namespace=self.namespace,
                    name=_records_name(producer),
                    facets=self._run_version(producer),
                    inputFacets={"inputStatistics": stats},
                )
            )
        for node_id in exported.consumed_artifacts:
            inputs.append(InputDataset(namespace=self.namespace, name=node_id))
        return inputs

    def _outputs(self, exported: ExportedRun) -> list[OutputDataset]:
        run = exported.counts
        outputs = []
        kind = kept_records_dataset(run)
        if kind is not None:
            stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=run.declared[kind], producer=self.producer
            )
            outputs.append(
                OutputDataset(
                    namespace=self.namespace,
                    name=_records_name(run),
                    facets=self._run_version(run),
                    outputFacets={"outputStatistics": stats},
                )
            )
        outputs.extend(self._artifact(row) for row in exported.artifacts)
        return outputs

    def _artifact(self, row: NodeRow) -> OutputDataset:
        attrs = row.attributes()
        version = {SHARD: "sha256", DATASET: "version", MODEL: "checkpoint_sha256"}[row.kind]
        facets: dict[str, DatasetFacet] = {}
        if attrs.get(version):
            facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=attrs[version], producer=self.producer
            )
        output_facets: dict[str, OutputDatasetFacet] = {}
        if row.kind == SHARD:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=attrs["records"],
                    size=attrs["size"],
                    fileCount=1,
                    producer=self.producer,
                )
            )
        return OutputDataset(
            namespace=self.namespace, name=row.id, facets=facets, outputFacets=output_facets
        )

    def _run_version(self, run: StepRun) -> dict[str, DatasetFacet]:
        """The version facet of the posts or records ``run`` made: its run name."""
        if not run.run:
            return {}
        return {
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=run.run, producer=self.producer
            )
        }


def _records_name(run: StepRun) -> str:
    return (
        posts_dataset(run.step) if kept_records_dataset(run) == POST else records_dataset(run.step)
    )
