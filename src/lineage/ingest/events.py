"""JSON Lines events (``events.schema.json`` beside this module) ingested through the pipeline API.

Every line is validated against the JSON Schema in the repository (compiled once
with fastjsonschema), then applied to the step it names. A bad line raises
``file:line: field: problem``; statements already appended from earlier, complete
batches stay (re-running the file after a fix skips them, since identical
statements are stored once), and nothing from the failing batch is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import Any, BinaryIO

import fastjsonschema

from lineage.crypto.canonical import parse_json
from lineage.errors import InputError
from lineage.ingest.jsonl import read_lines
from lineage.ingest.pipeline import Lineage, Ref, Step
from lineage.model.graph import DATASET, MODEL, SHARD, make_id
from lineage.model.requests import DELETION

EVENT_KINDS = (
    "step",
    "origin",
    "keep",
    "transform",
    "drop",
    "shard",
    "pack",
    "dataset",
    "model",
    "request",
)


@cache
def schema() -> dict[str, Any]:
    """The events JSON Schema shipped beside this module, parsed (once)."""
    text = resources.files("lineage.ingest").joinpath("events.schema.json").read_text()
    value: dict[str, Any] = json.loads(text)
    return value


@cache
def _validator(kind: str) -> Callable[[Any], Any]:
    document = schema()
    return fastjsonschema.compile({"$ref": f"#/$defs/{kind}", "$defs": document["$defs"]})


def validate(event: object) -> dict[str, Any]:
    """Check one event against the schema; raises :class:`InputError` naming the field."""
    if not isinstance(event, dict):
        raise InputError("an event must be a JSON object")
    kind = event.get("event")
    if kind not in EVENT_KINDS:
        raise InputError(f"must be one of {', '.join(EVENT_KINDS)}", field="event")
    try:
        _validator(kind)(event)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = ".".join(str(p) for p in (exc.path or [])[1:])
        problem = exc.message
        if exc.name and problem.startswith(exc.name + " "):
            problem = problem[len(exc.name) + 1 :]
        raise InputError(problem, field=field) from exc
    return event


def _named(kind: str, name: str, field: str) -> Ref:
    """The node of kind ``kind`` called ``name`` (an event's ``field``)."""
    try:
        return Ref(make_id(kind, name), kind)
    except InputError as exc:
        raise InputError(exc.problem, field=field) from exc


def _one_of(event: dict[str, Any], fields: tuple[str, str]) -> tuple[str, str]:
    present = [f for f in fields if f in event]
    if len(present) != 1:
        raise InputError(f"give exactly one of {' and '.join(fields)}", field=fields[0])
    return present[0], event[present[0]]


class EventIngest:
    """Applies validated events to a :class:`Lineage`, keeping the declared steps."""

    def __init__(self, lineage: Lineage) -> None:
        self.lineage = lineage
        self.steps: dict[str, Step] = {}
        self.events = 0

    def _step(self, event: dict[str, Any]) -> Step:
        step = self.steps.get(event["step"])
        if step is None:
            raise InputError(
                f"no step {event['step']!r} declared earlier in the input", field="step"
            )
        return step

    def _item(self, kind: str, raw: str) -> Ref:
        return self.lineage.post(raw) if kind.endswith("post") else self.lineage.record(raw)

    def _request_target(self, event: dict[str, Any]) -> Ref:
        wanted, other = ("post", "author") if event["kind"] == DELETION else ("author", "post")
        if wanted not in event or other in event:
            raise InputError(f"a {event['kind']} request names its {wanted}", field=wanted)
        if wanted == "post":
            return self.lineage.post(event["post"])
        return self.lineage.author(event["author"])

    def apply(self, event: dict[str, Any]) -> None:
        """Apply one validated event: declare a step, or record it through its step."""
        kind = event["event"]
        self.events += 1
        if kind == "step":
            if event["id"] in self.steps:
                raise InputError(f"step {event['id']!r} is already declared", field="id")
            self.steps[event["id"]] = self.lineage.step(
                event["name"],
                key=event["key"],
                version=event.get("version", ""),
                run=event.get("run", ""),
                time=event["time"],
            )
            return
        step = self._step(event)
        if kind == "origin":
            step.origin(
                event["post"],
                platform=event["platform"],
                surface=event["surface"],
                visibility=event["visibility"],
                created=event["created"],
                jurisdiction=event["jurisdiction"],
                author=event["author"],
                author_age=event.get("author_age"),
                content_digest=event.get("content_sha256"),
            )
        elif kind in ("keep", "transform"):
            source = self._item(*_one_of(event, ("from_post", "from_record")))
            step.transform(source, event.get("record"), content_digest=event.get("content_sha256"))
        elif kind == "drop":
            step.drop(self._item(*_one_of(event, ("post", "record"))), event["reason"])
        elif kind == "shard":
            _named(SHARD, event["shard"], "shard")
            step.shard(
                event["shard"],
                sha256=event["sha256"],
                size=event["size"],
                record_count=event["records"],
                uri=event.get("uri"),
            )
        elif kind == "pack":
            shard = _named(SHARD, event["shard"], "shard")
            step.pack(self.lineage.record(event["record"]), shard)
        elif kind == "dataset":
            _named(DATASET, event["dataset"], "dataset")
            step.dataset(
                event["dataset"],
                version=event.get("version", ""),
                shards=[_named(SHARD, s, "shards") for s in event["shards"]],
            )
        elif kind == "request":
            step.request(event["kind"], self._request_target(event), event["at"])
        else:
            self._model(step, event)

    @staticmethod
    def _model(step: Step, event: dict[str, Any]) -> None:
        sources = [_named(DATASET, d, "datasets") for d in event.get("datasets", [])]
        sources += [_named(SHARD, s, "shards") for s in event.get("shards", [])]
        base = event.get("finetuned_from")
        if not sources and base is None:
            raise InputError("a model needs datasets, shards or finetuned_from", field="datasets")
        _named(MODEL, event["model"], "model")
        step.model(
            event["model"],
            trained_on=sources,
            finetuned_from=_named(MODEL, base, "finetuned_from") if base else None,
            description=event.get("description", ""),
        )


def parse_events(
    stream: BinaryIO, name: str, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(location, event)`` for each line of a JSON Lines stream, each validated."""
    for location, line in read_lines(stream, name, on_bytes):
        try:
            yield location, validate(parse_json(line))
        except InputError as exc:
            raise exc.at(location) from exc


def ingest(
    lineage: Lineage,
    stream: BinaryIO,
    name: str,
    on_bytes: Callable[[int], None] | None = None,
    *,
    allow_empty: bool = True,
) -> int:
    """Apply every event of a JSON Lines stream, then flush; returns the number of events.
    A stream with no event is :class:`InputError` ``NAME: no events`` unless ``allow_empty``."""
    runner = EventIngest(lineage)
    for location, event in parse_events(stream, name, on_bytes):
        try:
            runner.apply(event)
        except InputError as exc:
            if exc.location.startswith(f"{name}:"):
                raise
            detail = f"{exc.location}: {exc.problem}" if exc.location else exc.problem
            raise InputError(detail, location=location, field=exc.field) from exc
    if not runner.events and not allow_empty:
        raise InputError("no events", location=name)
    lineage.flush()
    return runner.events
