"""The ``lineage_run`` OpenLineage run facet: what lineage writes into an OpenLineage
RunEvent beside the standard facets, and reads back on ingest.

Its JSON Schema is ``lineage_run_facet.schema.json`` beside this module (published as
``docs/openlineage/lineage-run-facet.json``). The name is prefixed after the project, as
the OpenLineage spec asks of custom facets, so it cannot collide with a standard one.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

FACET_NAME = "lineage_run"
"""The facet's key in ``run.facets``."""
SCHEMA_ID = "https://lineage.dev/schemas/openlineage/lineage-run-facet.json"
SCHEMA_URL = SCHEMA_ID + "#/$defs/LineageRunFacet"
"""The facet's ``_schemaURL``."""
MAX_RECORD_ITEMS = 10_000
"""Record-level items (nodes, edges and requests together) one event's facet holds at most;
a run with more is split across events."""
MAX_RECORD_BYTES = 2 * 1024 * 1024
"""The JSON of one event's record-level items is kept under this size (an ingested line
may be 4 MiB)."""
DATASET_RECORD_PREFIX = "dataset."
"""The name of a record standing for a whole OpenLineage dataset (job/dataset grain):
``rec:dataset.<32 hex>``."""
_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")

MAX_TIMEOUT = 600.0
"""The longest wait for an OpenLineage endpoint a sender may ask for (seconds)."""


@cache
def facet_schema() -> dict[str, Any]:
    """The facet's JSON Schema, parsed (once)."""
    text = resources.files("lineage.model").joinpath("lineage_run_facet.schema.json").read_text()
    value: dict[str, Any] = json.loads(text)
    return value


def posts_dataset(step: str) -> str:
    """The name of the OpenLineage dataset standing for the posts ``step`` collected."""
    return f"{step}/posts"


def records_dataset(step: str) -> str:
    """The name of the OpenLineage dataset standing for the records ``step`` made."""
    return f"{step}/records"


def dataset_record_name(namespace: str, name: str) -> str:
    """The name of the record standing for OpenLineage dataset ``namespace``/``name``
    (readable start, then a digest of both, so different datasets never share one)."""
    digest = hashlib.sha256(f"{namespace}\0{name}".encode()).hexdigest()[:32]
    readable = _NAME_CHARACTERS.sub("-", name)[-60:].strip("-.")
    return f"{DATASET_RECORD_PREFIX}{readable + '.' if readable else ''}{digest}"
