"""Versions of shards and datasets: which node supersedes which.

A new version of a shard (rebuilt without some records) or of a dataset (made of such
shards) names the version it replaces in its ``supersedes`` attribute
(:data:`lineage.model.graph.SUPERSEDES`), signed with the node itself. It is not an
edge, so no traversal follows it: a deleted post that reached the old shard does not
reach the new one. This module reads the relation both ways, for every store alike,
from the store's shard and dataset nodes (files and dataset versions are few next to
records and posts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lineage.errors import InputError, StoreError
from lineage.model.graph import SUPERSEDES, VERSIONED
from lineage.store.base import GraphReads

MAX_VERSIONED_NODES = 1_000_000
"""Shards (or datasets) a ledger may hold for the relation to be read."""
_NEEDLE = f'"{SUPERSEDES}":'


@dataclass
class Versions:
    """The supersedes relation among the shards and datasets declared by ``as_of_us``."""

    supersedes: dict[str, str] = field(default_factory=dict)
    """New version -> the version it replaces."""
    superseded_by: dict[str, list[str]] = field(default_factory=dict)
    """Old version -> the versions that replace it (one, unless remediated twice)."""

    def newest(self, node_id: str) -> str:
        """The newest version of ``node_id`` (itself if nothing supersedes it); refuses a
        version that two nodes supersede (two rebuilds of the same version)."""
        seen = {node_id}
        while node_id in self.superseded_by:
            newer = self.superseded_by[node_id]
            if len(newer) > 1:
                raise InputError(
                    f"{node_id} has {len(newer)} new versions ({', '.join(newer)}):"
                    " which one is current is not recorded"
                )
            node_id = newer[0]
            if node_id in seen:
                raise StoreError(f"the versions of {node_id} supersede each other in a cycle")
            seen.add(node_id)
        return node_id

    def chain(self, node_id: str) -> list[str]:
        """``node_id`` and every older version it supersedes, newest first."""
        found = [node_id]
        while (older := self.supersedes.get(found[-1])) is not None and older not in found:
            found.append(older)
        return found


def versions(
    store: GraphReads, kinds: Iterable[str] = VERSIONED, as_of_us: int | None = None
) -> Versions:
    """The supersedes relation among the nodes of ``kinds`` (shards, datasets)."""
    result = Versions()
    for kind in sorted(set(kinds)):
        if kind not in VERSIONED:
            raise InputError(f"only shards and datasets have versions, not {kind}")
        count, rows = store.nodes_of_kind(kind, MAX_VERSIONED_NODES)
        if count > MAX_VERSIONED_NODES:
            raise StoreError(
                f"the ledger holds {count:,} {kind} nodes; versions are read for at most"
                f" {MAX_VERSIONED_NODES:,}"
            )
        for row in rows:
            if _NEEDLE not in row.attrs or (as_of_us is not None and row.time_us > as_of_us):
                continue
            old = row.attributes().get(SUPERSEDES)
            if isinstance(old, str):
                result.supersedes[row.id] = old
                result.superseded_by.setdefault(old, []).append(row.id)
    for newer in result.superseded_by.values():
        newer.sort()
    return result
