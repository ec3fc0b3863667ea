"""Statements written by hand or by a pipeline in another language: read one from a
file, validate it as an in-toto Statement v1 with a lineage predicate, and sign it."""

from __future__ import annotations

from pathlib import Path

from lineage.crypto.canonical import parse_json
from lineage.crypto.dsse import MAX_ENVELOPE_BYTES, MAX_PAYLOAD_BYTES, Envelope, sign_envelope
from lineage.crypto.keys import SigningKey
from lineage.errors import InputError
from lineage.ledger.projection import is_lineage
from lineage.model.batch import MAX_ITEMS_BYTES, BatchEnvelope, artifact_subjects, commit
from lineage.model.graph import check_edges, check_nodes
from lineage.model.predicates import LINEAGE_V2
from lineage.model.statement import Statement, make_statement, statement_from_json

MAX_STATEMENT_BYTES = 4 * 1024 * 1024


def sign_statement_file(path: Path, key: SigningKey) -> Envelope:
    """The statement in the JSON file ``path``, canonicalised and signed by ``key``;
    :class:`InputError` naming the file if it is too large or not a valid statement."""
    with path.open("rb") as handle:
        data = handle.read(MAX_STATEMENT_BYTES + 1)
    if len(data) > MAX_STATEMENT_BYTES:
        raise InputError(f"larger than {MAX_STATEMENT_BYTES} bytes", location=str(path))
    try:
        statement = statement_from_json(parse_json(data, "statement"))
        if is_lineage(statement):
            return _sign_batch(statement, key)
        payload = statement.payload()
    except InputError as exc:
        raise exc.at(str(path)) from exc
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InputError(
            f"the canonical statement has {len(payload)} bytes: its envelope would be larger"
            f" than {MAX_ENVELOPE_BYTES} bytes (split it into statements of at most"
            f" {MAX_PAYLOAD_BYTES} bytes)",
            location=str(path),
        )
    return sign_envelope(payload, key)


def _sign_batch(statement: Statement, key: SigningKey) -> BatchEnvelope:
    """A Lineage statement written with its nodes and edges inline, signed as Lineage/v2:
    the predicate commits to them, the subjects name its artifacts, and they travel
    beside the envelope."""
    predicate = statement.predicate
    extra = set(predicate) - {"step", "time", "nodes", "edges"}
    if extra:
        raise InputError(
            "a lineage statement holds step, time, nodes and edges only",
            field=f"predicate.{sorted(extra)[0]}",
        )
    nodes = check_nodes(predicate.get("nodes", []))
    edges = check_edges(predicate.get("edges", []))
    if not nodes and not edges:
        raise InputError("a Lineage statement must assert nodes or edges", field="predicate.nodes")
    commitment, items = commit(nodes, edges)
    if len(items) > MAX_ITEMS_BYTES:
        raise InputError(
            f"its nodes and edges take {len(items)} bytes, more than {MAX_ITEMS_BYTES}:"
            " split them into several statements"
        )
    subjects = artifact_subjects(nodes, commitment.root, statement.step.name)
    committed = make_statement(
        subjects, LINEAGE_V2, statement.step, statement.time, {"batch": commitment.to_json()}
    )
    signed = sign_envelope(committed.payload(), key)
    return BatchEnvelope(**vars(signed), items=items)
