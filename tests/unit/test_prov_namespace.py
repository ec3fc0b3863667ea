"""The namespace of a PROV export's ids is the log's origin as an https URL, with every
character an IRI or PROV-N could misread percent-encoded, so any origin lineage accepts
gives ids that read back the same."""

from __future__ import annotations

import pytest
from prov.model import ProvDocument

from lineage.export.prov import log_namespace


@pytest.mark.parametrize(
    ("origin", "uri"),
    [
        ("lineage.local/0123abcd", "https://lineage.local/0123abcd/"),
        ("example.com/logs/a#1?x=<y>", "https://example.com/logs/a%231%3Fx%3D%3Cy%3E/"),
        ("café.example/log", "https://caf%C3%A9.example/log/"),
    ],
)
def test_an_origin_becomes_an_https_namespace_that_reads_back(origin: str, uri: str) -> None:
    namespace = log_namespace(origin)
    assert (namespace.prefix, namespace.uri) == ("log", uri)
    document = ProvDocument()
    document.add_namespace(namespace)
    document.entity(namespace["post:3f2a=x@y+z/q"])
    for fmt in ("json", "xml", "provn"):
        text = document.get_provn() if fmt == "provn" else document.serialize(format=fmt)
        assert ProvDocument.deserialize(content=text, format=fmt) == document, fmt
