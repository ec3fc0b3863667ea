"""A Lineage/v2 batch's items as columns: how the columnar pipeline hands them to the
ledger, so that admission neither parses them one by one nor builds a row object each.

The columns are the parts of each item: a node's kind, id and attributes (as their
canonical JSON text), an edge's kind and its two strings. :func:`node_line` and
:func:`edge_line` put them together in RFC 8785 form, taking kinds and ids as they are
(valid ones hold no character JSON escapes), so the batch's stored items are the
columns' lines joined. Admission rebuilds the lines from the columns, compares them with
the signed items byte for byte and checks every kind and id before it reads anything
from the columns: an id that would need an escape is invalid, and its batch takes the
ordinary path, which refuses it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from lineage.model.graph import DROPPED

NodeParts = tuple[str, str, str]
"""(kind, id, attributes as canonical JSON text)."""
EdgeParts = tuple[str, str, str]
"""(kind, first, second) as the edge is written (a drop's second is its reason)."""
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*\Z')
"""Strings whose JSON form is themselves in quotes."""


def json_text(value: str) -> str:
    """``value`` as a JSON string in RFC 8785 form."""
    if _PLAIN.match(value):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def node_line(kind: str, node_id: str, attrs: str) -> str:
    """A node item's canonical line (its kind and id need no escapes: ids are checked
    against a charset that has none before a batch is read)."""
    return f'["{kind}","{node_id}",{attrs}]'


def edge_line(kind: str, first: str, second: str) -> str:
    """An edge item's canonical line (a drop's reason is free text, encoded as JSON)."""
    if kind == DROPPED:
        return f'["{kind}","{first}",{json_text(second)}]'
    return f'["{kind}","{first}","{second}"]'


@dataclass
class ItemColumns:
    """The nodes and edges of one Lineage/v2 batch, as the parts of each item."""

    nodes: list[NodeParts] = field(default_factory=list)
    edges: list[EdgeParts] = field(default_factory=list)

    def sections(self) -> list[list[bytes]]:
        """The batch's nodes and edges, one canonical encoding each."""
        return [
            [node_line(*node).encode() for node in self.nodes],
            [edge_line(*edge).encode() for edge in self.edges],
        ]

    def lines(self) -> list[bytes]:
        """The batch's items, nodes then edges, one canonical encoding each."""
        nodes, edges = self.sections()
        return nodes + edges


_NODE_LINES = re.compile(r'^\["([A-Za-z]{1,40})","([^"\\\n]*)",(\{[^\n]*\})\]$', re.MULTILINE)
_EDGE_LINES = re.compile(r'^\["([A-Z_]{1,40})","([^"\\\n]*)","([^"\\\n]*)"\]$', re.MULTILINE)


def split_items(items: bytes, nodes: int, edges: int) -> ItemColumns | None:
    """A batch's stored items read back into columns without parsing JSON (``nodes`` and
    ``edges``: the counts its statement commits to), for :func:`bulk_rows
    <lineage.ledger.bulk_projection.bulk_rows>` to check; None if an item is not of the
    plain form the columns rebuild (e.g. a drop reason with an escape), or the counts
    differ: the batch then takes the ordinary path."""
    try:
        text = items.decode()
    except UnicodeDecodeError:
        return None
    if not nodes:
        node_text, edge_text = "", text
    else:
        cut = -1
        for _ in range(nodes):
            cut = text.find("\n", cut + 1)
            if cut < 0:
                cut = len(text)
                break
        node_text, edge_text = text[:cut], text[cut + 1 :]
    found_nodes = _NODE_LINES.findall(node_text) if nodes else []
    found_edges = _EDGE_LINES.findall(edge_text) if edges else []
    if len(found_nodes) != nodes or len(found_edges) != edges:
        return None
    return ItemColumns(found_nodes, found_edges)
