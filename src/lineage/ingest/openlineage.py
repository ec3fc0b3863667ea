"""OpenLineage RunEvents (one JSON object per line) ingested through the pipeline API.

Each step run is a :class:`~lineage.ingest.pipeline.Step` keyed by the event's runId, named
after the job, signed by one key. An event whose ``lineage_run`` facet carries record-level
lineage (``lineage export openlineage --records``) is replayed item by item: posts with
their attributes and authors, records from their parents, drops with their reasons,
shards with their packed records, datasets, models and requests, as the pipeline API
would record them (:mod:`lineage.ingest.openlineage_records`). Any other COMPLETE event is
recorded at job/dataset grain (:mod:`lineage.ingest.openlineage_grain`): its outputs made
from its inputs by that run, with no path back to a post. START, ABORT, FAIL and OTHER
events, and RUNNING ones without records, record nothing.

A bad line raises ``file:line: field: problem``; as with JSON Lines events, statements
appended from earlier complete batches stay and nothing of the failing batch is written.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, BinaryIO

import fastjsonschema

from lineage.crypto.canonical import parse_json
from lineage.errors import InputError
from lineage.ingest.jsonl import read_lines
from lineage.ingest.openlineage_grain import record_datasets
from lineage.ingest.openlineage_records import RecordReplay
from lineage.ingest.pipeline import Lineage, Step
from lineage.model.openlineage_facet import FACET_NAME, facet_schema
from lineage.model.signer import ACTIVE, Signer
from lineage.model.times import format_time, parse_time

MAX_STEPS = 100_000
"""Step runs one input may name."""
MAX_NAME = 200
_RECORDED = ("COMPLETE", "RUNNING")
_SKIPPED = ("START", "ABORT", "FAIL", "OTHER")


@cache
def _facet_validator() -> Callable[[Any], Any]:
    """The facet's own fields (the base facet's ``_producer`` and ``_schemaURL`` are not
    read); record items are checked as statements check them, kind by kind."""
    defs = facet_schema()["$defs"]
    return fastjsonschema.compile({"$ref": "#/$defs/LineageRunFacet/allOf/1", "$defs": defs})


def _object(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError("must be an object", field=field)
    return value


def text(value: object, field: str, limit: int = MAX_NAME) -> str:
    """``value`` if it is a string of 1-``limit`` characters."""
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise InputError(f"must be a string of 1-{limit} characters", field=field)
    return value


def lineage_facet(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event's ``lineage_run`` facet, validated, if it has one."""
    facets = _object(_object(event.get("run"), "run").get("facets", {}), "run.facets")
    facet = facets.get(FACET_NAME)
    if facet is None:
        return None
    try:
        _facet_validator()(facet)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = ".".join(str(p) for p in (exc.path or [])[1:])
        field = f"run.facets.{FACET_NAME}" + (f".{path}" if path else "")
        problem = exc.message
        if exc.name and problem.startswith(exc.name + " "):
            problem = problem[len(exc.name) + 1 :]
        raise InputError(problem, field=field) from exc
    return _object(facet, f"run.facets.{FACET_NAME}")


class OpenLineageIngest:
    """Applies RunEvents to a :class:`Lineage`, one step per runId, all signed by ``key``."""

    def __init__(self, lineage: Lineage, key: str) -> None:
        self.lineage = lineage
        self.key = key
        self.steps: dict[str, Step] = {}
        self.replay = RecordReplay(lineage)
        self.events = 0
        self.recorded = 0
        self._signers: dict[str, Signer] | None = None

    def apply(self, raw: object, location: str | None = None) -> None:
        """Record one event (see the module's description of what is recorded);
        ``location``: the event's ``FILE:LINE``, named if its run's statements are refused."""
        event = _object(raw, "event")
        self.events += 1
        kind = event.get("eventType")
        if kind not in _RECORDED + _SKIPPED:
            raise InputError(f"must be one of {', '.join(_RECORDED + _SKIPPED)}", field="eventType")
        facet = lineage_facet(event)
        records = facet.get("records") if facet is not None else None
        if kind in _SKIPPED or (kind == "RUNNING" and records is None):
            return
        step = self._step(event, facet)
        step.source = location
        if records is not None:
            self.replay.add(event["run"]["runId"], step, records)
        else:
            record_datasets(step, event)
        self.recorded += 1

    def _step(self, event: dict[str, Any], facet: dict[str, Any] | None) -> Step:
        run = _object(event.get("run"), "run")
        run_id = text(run.get("runId"), "run.runId", 100)
        job = _object(event.get("job"), "job")
        name = text(job.get("name"), "job.name")
        text(job.get("namespace"), "job.namespace", 1000)
        time = parse_time(event.get("eventTime"), "eventTime")
        step = self.steps.get(run_id)
        if step is not None:
            if step.info.name != name:
                raise InputError(
                    f"run {run_id} is already job {step.info.name!r}", field="job.name"
                )
            return step
        if len(self.steps) >= MAX_STEPS:
            raise InputError(f"more than {MAX_STEPS:,} step runs in one input", field="run.runId")
        version, run_name = (facet["version"], facet["run"]) if facet else ("", run_id)
        step = self.lineage.step(name, key=self.key, version=version, run=run_name, time=time)
        self._check_signer(step)
        self.steps[run_id] = step
        return step

    def _check_signer(self, step: Step) -> None:
        """Refuse, at the event that names it, a job the key may not sign for (the append
        would refuse its statements later, far from the line)."""
        if self._signers is None:
            self._signers = {s.keyid: s for s in self.lineage.ledger.store.signers()}
        signer = self._signers.get(step.key.keyid)
        if signer is None:
            raise InputError(f"key {self.key!r} is not registered in this ledger", field="job.name")
        if step.info.name not in signer.steps:
            raise InputError(
                f"key {self.key!r} may not sign for job {step.info.name[:80]!r}"
                f" (it may sign: {', '.join(signer.steps)[:400]})",
                field="job.name",
            )
        status = signer.status_at(step.time)
        if status != ACTIVE:
            raise InputError(
                f"key {self.key!r} is {status} at {format_time(step.time)}", field="eventTime"
            )


def ingest_openlineage(
    lineage: Lineage,
    stream: BinaryIO,
    name: str,
    key: str,
    on_bytes: Callable[[int], None] | None = None,
    *,
    allow_empty: bool = True,
) -> int:
    """Apply every RunEvent of a JSON Lines stream, signed by ``key``, then flush; returns
    the number of events. No event is :class:`InputError` ``NAME: no events`` unless
    ``allow_empty``."""
    runner = OpenLineageIngest(lineage, key)
    for location, line in read_lines(stream, name, on_bytes):
        try:
            runner.apply(parse_json(line), location)
        except InputError as exc:
            if exc.location:  # a statement refused at append names its own event
                raise
            raise exc.at(location) from exc
    if not runner.events and not allow_empty:
        raise InputError("no events", location=name)
    unfinished = runner.replay.unfinished()
    if unfinished is not None:
        raise InputError(f"{unfinished}: its last part is missing", location=name)
    lineage.flush()
    return runner.events
