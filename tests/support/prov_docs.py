"""Reading PROV exports back with the ecosystem's own code: the ``prov`` package for
PROV-JSON, PROV-N and PROV-XML, rdflib's SPARQL for PROV-O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import rdflib
from prov.model import ProvDerivation, ProvDocument, ProvEntity

from lineage.ledger.log import Ledger
from lineage.ledger.projection import time_us
from lineage.query.trace import Trace

LINEAGE = "https://lineage.dev/prov#"

ORIGINS_QUERY = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX lineage: <https://lineage.dev/prov#>
SELECT DISTINCT ?post WHERE {
  ?checkpoint a lineage:Checkpoint ; lineage:artifact ?artifact .
  ?artifact prov:wasDerivedFrom+ ?post .
  ?post a lineage:Post .
}
"""
"""The query docs/exports.md gives: every post the exported artifact derives from."""


def read_prov(data: bytes, fmt: str) -> ProvDocument:
    """The document ``data`` holds, read by the prov package."""
    document = ProvDocument.deserialize(content=data.decode(), format=fmt)
    assert isinstance(document, ProvDocument)
    return document


def of_type(record: Any) -> set[str]:
    """The ``prov:type`` values of a record, as URIs."""
    return {str(value.uri) for value in record.get_attribute("prov:type")}


def entities(document: ProvDocument, kind: str) -> dict[str, ProvEntity]:
    """The entities typed ``lineage:KIND``, by node id (their local name)."""
    found = {}
    for record in document.get_records(ProvEntity):
        if LINEAGE + kind in of_type(record):
            assert record.identifier is not None
            found[record.identifier.localpart] = record
    return found


def derivations(document: ProvDocument) -> list[tuple[str, str, str, int]]:
    """Every derivation as (derived node id, source node id, edge kind, entry)."""
    found = []
    for record in document.get_records(ProvDerivation):
        derived, source = record.args[:2]
        (kind,) = record.get_attribute(LINEAGE + "edge")
        (entry,) = record.get_attribute(LINEAGE + "entry")
        found.append((derived.localpart, source.localpart, kind, int(entry)))
    return found


def sparql_origins(turtle: bytes, origin: str) -> set[str]:
    """The posts :data:`ORIGINS_QUERY` finds in a PROV-O Turtle export of the log
    ``origin``, by node id (every IRI under ``https://ORIGIN/``)."""
    graph = rdflib.Graph()
    graph.parse(data=turtle, format="turtle")
    prefix = f"https://{origin}/"
    found = {str(row[0]) for row in graph.query(ORIGINS_QUERY)}  # type: ignore[index]
    assert all(iri.startswith(prefix) for iri in found), found
    return {iri.removeprefix(prefix) for iri in found}


def trace_origins(ledger: Ledger, artifact: str, as_of: datetime | None = None) -> set[str]:
    """The origins ``trace`` finds of ``artifact`` (as the ledger stood at ``as_of``)."""
    at = time_us(as_of) if as_of is not None else None
    return {row.id for row in Trace(ledger.store, artifact, at).origins()}
