"""Validating OpenLineage events with the spec's own JSON Schemas (vendored in
tests/vectors/openlineage, see its README) and the lineage_run facet's schema, with
``jsonschema`` (Draft 2020-12) and a ``referencing`` registry for the facets' $refs."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "tests" / "vectors" / "openlineage"
FACET_SCHEMA = ROOT / "docs" / "openlineage" / "lineage-run-facet.json"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


@cache
def registry() -> Registry:
    """Every vendored spec schema and the facet schema, by their $id."""
    files = [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json")), FACET_SCHEMA]
    resources = []
    for path in files:
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


def _validate(value: Any, schema_url: str) -> None:
    registry().resolver().lookup(schema_url)  # a schema we hold, or Unresolvable
    validator = Draft202012Validator(
        {"$ref": schema_url},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(value)


def _facets(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = [*event["run"].get("facets", {}).values(), *event["job"].get("facets", {}).values()]
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        for key in ("facets", "inputFacets", "outputFacets"):
            found += dataset.get(key, {}).values()
    return found


def validate_event(event: dict[str, Any]) -> int:
    """Validate a RunEvent against the spec, and each facet against the schema its own
    ``_schemaURL`` names (which must be one we hold); returns the facets checked."""
    _validate(event, RUN_EVENT)
    facets = _facets(event)
    for facet in facets:
        _validate(facet, facet["_schemaURL"])
    return len(facets)
