"""A PROV document as bytes in one of the W3C serialisations, written by the ``prov``
package (PROV-O through rdflib).

PROV-O writes a relation that carries attributes (a derivation with its ``lineage:entry``)
only in its qualified form (``prov:qualifiedDerivation [ prov:entity … ]``); the
unqualified triples that PROV-O pairs with each qualified form (``prov:wasDerivedFrom``,
``prov:wasGeneratedBy``, ``prov:used``, ``prov:wasAssociatedWith``) are added here, so a
SPARQL property path such as ``prov:wasDerivedFrom+`` walks the whole lineage.
"""

from __future__ import annotations

import re

from prov.model import ProvDocument
from prov.serializers.provrdf import ProvRDFSerializer

from lineage.errors import InputError

FORMATS = {
    "json": "PROV-JSON",
    "provn": "PROV-N",
    "ttl": "PROV-O as Turtle",
    "xml": "PROV-XML",
}
"""The formats an export is written in, with what each is."""

_UNQUALIFIED = """
PREFIX prov: <http://www.w3.org/ns/prov#>
INSERT { ?s prov:wasDerivedFrom ?o } WHERE { ?s prov:qualifiedDerivation/prov:entity ?o } ;
INSERT { ?s prov:wasGeneratedBy ?o } WHERE { ?s prov:qualifiedGeneration/prov:activity ?o } ;
INSERT { ?s prov:used ?o } WHERE { ?s prov:qualifiedUsage/prov:entity ?o } ;
INSERT { ?s prov:wasAssociatedWith ?o } WHERE { ?s prov:qualifiedAssociation/prov:agent ?o }
"""


def check_format(name: str) -> str:
    """``name`` if it is one of :data:`FORMATS`; else :class:`InputError` naming them."""
    if name not in FORMATS:
        raise InputError(
            f"unknown format {name[:40]!r} (one of {', '.join(FORMATS)})", field="--format"
        )
    return name


def serialize(document: ProvDocument, name: str) -> bytes:
    """``document`` in the format ``name`` (one of :data:`FORMATS`), UTF-8."""
    check_format(name)
    if name == "provn":
        return document.get_provn().encode() + b"\n"
    if name == "ttl":
        graph = ProvRDFSerializer(document).encode_container(document)
        graph.update(_UNQUALIFIED)
        return graph.serialize(format="turtle", encoding="utf-8")
    try:
        text = document.serialize(format=name)
    except ValueError as exc:  # lxml refuses text XML 1.0 cannot hold
        raise InputError(
            f"{_xml_unsafe(document)} holds a control character XML 1.0 cannot represent:"
            " use json, provn or ttl",
            field="--format",
        ) from exc
    assert isinstance(text, str)
    return text.encode()


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 has no way to write, not even as a reference."""


def _xml_unsafe(document: ProvDocument) -> str:
    """The first attribute of ``document`` whose value XML 1.0 cannot hold, as
    ``record attribute``."""
    for record in document.get_records():
        for attribute, value in record.attributes:
            if _NOT_XML.search(str(value)):
                return f"{str(record.identifier)[:120]} {attribute}"
    return "a value"
