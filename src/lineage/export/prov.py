"""An artifact's lineage as a W3C PROV document, built with the ``prov`` package.

Everything upstream of the artifact (what ``lineage trace`` walks) becomes PROV: posts,
records, shards, datasets and models are entities; step runs are activities; the keys
that signed them are agents. Every lineage edge is a ``wasDerivedFrom`` carrying the
ledger entry that asserts it, and the document names the checkpoint it was read against.
docs/exports.md has the mapping table and the namespaces.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from prov.constants import PROV_TYPE, XSD_DATETIME
from prov.identifier import Namespace, QualifiedName
from prov.model import Literal, ProvActivity, ProvAgent, ProvDocument

from lineage.errors import InputError
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.ledger.projection import time_us
from lineage.model.graph import POST, TIME_ATTRIBUTES
from lineage.model.rows import NodeRow
from lineage.model.times import format_us, parse_time
from lineage.query.runs import StepRun
from lineage.query.upstream import MAX_UPSTREAM_NODES, Upstream, read_upstream

VOCABULARY = Namespace("lineage", "https://lineage.dev/prov#")
"""Kinds, attribute names and ``entry``: the same in every export, so one query reads all."""
UNDECLARED = "Undeclared"
"""The type of a node an edge names but no entry declares."""


def log_namespace(origin: str) -> Namespace:
    """The namespace of a log's nodes, runs, keys and checkpoints: its origin (a C2SP
    origin is a schema-less URL) made an https URL, so exports of one log share ids and
    exports of two logs never collide. An identifier, not an address: nothing is served."""
    return Namespace("log", f"https://{quote(origin, safe='/')}/")


@dataclass(frozen=True)
class ProvExport:
    """A PROV document of an artifact's lineage, and how much it holds."""

    document: ProvDocument
    entities: int
    activities: int
    agents: int
    relations: int

    def counts(self) -> dict[str, int]:
        """The counts as a JSON object."""
        return {
            "entities": self.entities,
            "activities": self.activities,
            "agents": self.agents,
            "relations": self.relations,
        }


def prov_export(
    ledger: Ledger,
    artifact: str,
    *,
    as_of: datetime | None = None,
    max_nodes: int = MAX_UPSTREAM_NODES,
    progress: Callable[[int], None] | None = None,
) -> ProvExport:
    """The PROV document of everything upstream of ``artifact`` (a shard, dataset, model
    or record) as the ledger stood at ``as_of``; :class:`InputError` past ``max_nodes``
    upstream nodes. ``progress`` is called with the nodes read since its last call."""
    as_of_us = time_us(as_of) if as_of is not None else None
    with ledger.store.snapshot():
        note = ledger.latest_checkpoint()
        if note is None:
            raise InputError("the ledger has no checkpoint to export against")
        upstream = read_upstream(
            ledger.store, artifact, as_of_us, max_nodes=max_nodes, progress=progress
        )
    return _Builder(log_namespace(ledger.origin), upstream).build(note)


class _Builder:
    """Adds an upstream graph's records to one document, counting them."""

    def __init__(self, log: Namespace, upstream: Upstream) -> None:
        self.log = log
        self.upstream = upstream
        self.doc = ProvDocument()
        self.doc.add_namespace(VOCABULARY)
        self.doc.add_namespace(log)
        self.relations = 0

    def build(self, note: str) -> ProvExport:
        up = self.upstream
        runs = [self._activity(run) for run in up.runs]
        agents = self._agents()
        for step_run, activity in zip(up.runs, runs, strict=True):
            for keyid in sorted(step_run.keyids):
                self.doc.wasAssociatedWith(activity, agents[keyid])
                self.relations += 1
        for row in sorted(up.nodes, key=lambda r: r.id):
            entity = self.doc.entity(self.log[row.id], self._attributes(row))
            if row.kind:
                self.doc.wasGeneratedBy(entity, runs[up.run_of_entry[row.entry]])
                self.relations += 1
        used: set[tuple[int, str]] = set()
        for edge in sorted(up.edges, key=lambda e: e.key()):
            run = up.run_of_entry[edge.entry]
            if (run, edge.up) not in used:
                used.add((run, edge.up))
                self.doc.used(runs[run], self.log[edge.up])
            self.doc.wasDerivedFrom(
                self.log[edge.down],
                self.log[edge.up],
                runs[run],
                other_attributes=[
                    (VOCABULARY["entry"], edge.entry),
                    (VOCABULARY["edge"], edge.kind),
                ],
            )
        self.relations += len(used) + len(up.edges)
        self._checkpoint(note)
        return ProvExport(self.doc, len(up.nodes) + 1, len(runs), len(agents), self.relations)

    def _attributes(self, row: NodeRow) -> list[tuple[QualifiedName, Any]]:
        kind = row.kind or UNDECLARED
        found: list[tuple[QualifiedName, Any]] = [(PROV_TYPE, VOCABULARY[kind])]
        if not row.kind:
            return found
        times = TIME_ATTRIBUTES.get(row.kind, ())
        for name, value in sorted(row.attributes().items()):
            shown = Literal(value, XSD_DATETIME) if name in times else value
            found.append((VOCABULARY[name], shown))
        found.append((VOCABULARY["entry"], row.entry))
        if row.kind == POST:
            found.append((VOCABULARY["authorErased"], row.id in self.upstream.erased))
        return found

    def _activity(self, run: StepRun) -> ProvActivity:
        name = "/".join(quote(part, safe="") for part in run.key)
        attributes: list[tuple[QualifiedName, Any]] = [
            (PROV_TYPE, VOCABULARY["StepRun"]),
            (VOCABULARY["step"], run.step),
            (VOCABULARY["version"], run.version),
            (VOCABULARY["run"], run.run),
        ]
        attributes += [(VOCABULARY["entry"], entry) for entry in sorted(run.entries)]
        return self.doc.activity(
            self.log[f"run/{name}"], _time(run.first_us), _time(run.last_us), attributes
        )

    def _agents(self) -> dict[str, ProvAgent]:
        keyids = sorted({keyid for run in self.upstream.runs for keyid in run.keyids})
        agents: dict[str, ProvAgent] = {}
        for keyid in keyids:
            attributes: list[tuple[QualifiedName, Any]] = [
                (PROV_TYPE, VOCABULARY["SigningKey"]),
                (VOCABULARY["keyid"], keyid),
            ]
            signer = self.upstream.signers.get(keyid)
            if signer is not None:
                attributes += [
                    (VOCABULARY["name"], signer.name),
                    (VOCABULARY["publicKey"], signer.public_key.b64()),
                    (VOCABULARY["registeredIn"], signer.registered_in),
                ]
            agents[keyid] = self.doc.agent(self.log[f"key/{keyid}"], attributes)
        return agents

    def _checkpoint(self, note: str) -> None:
        checkpoint = checkpoint_of(note)
        attributes: list[tuple[QualifiedName, Any]] = [
            (PROV_TYPE, VOCABULARY["Checkpoint"]),
            (VOCABULARY["origin"], checkpoint.origin),
            (VOCABULARY["size"], checkpoint.size),
            (VOCABULARY["rootHash"], b64encode(checkpoint.root).decode()),
            (VOCABULARY["note"], note),
            (VOCABULARY["artifact"], self.log[self.upstream.root.id]),
        ]
        if self.upstream.as_of_us is not None:
            moment = format_us(self.upstream.as_of_us)
            attributes.append((VOCABULARY["asOf"], Literal(moment, XSD_DATETIME)))
        self.doc.entity(self.log[f"checkpoint/{checkpoint.size}"], attributes)


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else parse_time(format_us(micros))
