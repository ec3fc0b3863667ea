"""Erasure cannot hit the wrong person: every raw-id resolution is checked against what the
ledger signed, and verify reports key-table rows that do not match it."""

from __future__ import annotations

import json

import pytest

from lineage.crypto.dsse import sign_envelope
from lineage.errors import KeyTableError, VerificationError
from lineage.ledger.erasure import erase_author, erased_subjects
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.identity import Identities, Subject
from lineage.model.predicates import LINEAGE
from lineage.model.statement import Step, make_statement
from lineage.query.resolve import resolve

from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import T0, LedgerEnv
from support.problems import has_problem
from support.stores import edit

A, B = "fb:user:A", "ig:user:B"


def _subjects(env: LedgerEnv) -> tuple[Subject, Subject]:
    identities = Identities(env.ledger.store.identities())
    a, b = identities.subject(A, create=False), identities.subject(B, create=False)
    assert a is not None and b is not None
    return a, b


def _swap_lookups(env: LedgerEnv) -> None:
    """Exchange the lookups of the subject-key rows of authors A and B."""
    a, b = (s.lookup.hex() for s in _subjects(env))
    edit(
        env.url,
        sql=[
            f"UPDATE subject_keys SET lookup = X'00' WHERE lookup = X'{a}'",
            f"UPDATE subject_keys SET lookup = X'{a}' WHERE lookup = X'{b}'",
            f"UPDATE subject_keys SET lookup = X'{b}' WHERE lookup = X'00'",
        ],
        cypher=[
            f"MATCH (s:SubjectKey {{lookup: '{a}'}}) SET s.lookup = 'swap'",
            f"MATCH (s:SubjectKey {{lookup: '{b}'}}) SET s.lookup = '{a}'",
            f"MATCH (s:SubjectKey {{lookup: 'swap'}}) SET s.lookup = '{b}'",
        ],
    )


def test_swapped_lookups_make_erasure_refuse_rather_than_shred_the_other_person(
    graph: LedgerEnv,
) -> None:
    victim = Identities(graph.ledger.store.identities()).subject(B, create=False)
    assert victim is not None
    _swap_lookups(graph)
    size = graph.ledger.size()
    with pytest.raises(KeyTableError, match="another subject's key"):
        erase_author(graph.ledger, graph.admin, A)
    assert graph.ledger.size() == size
    still = Identities(graph.ledger.store.identities()).subject(A, create=False)
    assert still is not None and still.key == victim.key  # B's key, untouched
    with pytest.raises(KeyTableError):
        resolve(graph.ledger, author=A)


def test_swapped_keys_are_reported_by_verify_and_refused_by_erase(sqlite_env: LedgerEnv) -> None:
    env = ingest_hand_built_pipeline(sqlite_env)
    a, b = (s.key.hex() for s in _subjects(env))
    edit(
        env.url,
        sql=[
            f"UPDATE subject_keys SET key = X'00' WHERE key = X'{a}'",
            f"UPDATE subject_keys SET key = X'{a}' WHERE key = X'{b}'",
            f"UPDATE subject_keys SET key = X'{b}' WHERE key = X'00'",
        ],
        cypher=[],
    )
    report = verify_ledger(env.ledger.store)
    assert has_problem(report, ProblemKind.KEY_TABLES, "subject key")
    assert report.kinds() == {ProblemKind.KEY_TABLES}
    with pytest.raises(KeyTableError):
        erase_author(env.ledger, env.admin, A)


def test_a_binding_to_no_subject_is_reported(graph: LedgerEnv) -> None:
    edit(
        graph.url,
        sql=["INSERT INTO identities VALUES (X'0102', 999999)"],
        cypher=["CREATE (:IdentityBinding {lookup: '0102', subject: 'ffff'})"],
    )
    report = verify_ledger(graph.ledger.store)
    assert has_problem(report, ProblemKind.KEY_TABLES, "1 raw-id bindings point at no subject")


def test_a_binding_edited_in_the_projection_does_not_make_a_swap_pass(graph: LedgerEnv) -> None:
    """The binding is read from the signed entry that declared the subject (proven in the
    latest checkpoint), not from the projection's editable attributes."""
    victim = Identities(graph.ledger.store.identities()).subject(B, create=False)
    assert victim is not None
    _swap_lookups(graph)
    forged = json.dumps({"binding": victim.author_binding(A)}, separators=(",", ":"))
    edit(
        graph.url,
        sql=[f"UPDATE nodes SET attrs = '{forged}' WHERE id = '{victim.node_id}'"],
        cypher=[
            f"MATCH (n:Lineage {{id: '{victim.node_id}'}})"
            f" SET n.binding = '{victim.author_binding(A)}'"
        ],
    )
    size = graph.ledger.size()
    with pytest.raises(KeyTableError, match="another subject's key"):
        erase_author(graph.ledger, graph.admin, A)
    assert graph.ledger.size() == size


def test_a_declaring_entry_changed_in_the_store_is_not_trusted(graph: LedgerEnv) -> None:
    subject, _ = _subjects(graph)
    node = graph.ledger.store.node(subject.node_id)
    assert node is not None
    edit(
        graph.url,
        sql=[f"UPDATE entries SET body = CAST(body || ' ' AS BLOB) WHERE idx = {node.entry}"],
        cypher=[f"MATCH (e:LedgerEntry {{idx: {node.entry}}}) SET e.body = e.body + [32]"],
    )
    with pytest.raises(VerificationError, match="not what the log signed"):
        resolve(graph.ledger, author=A)


def _unbound_author(env: LedgerEnv, author: str) -> Subject:
    """An author declared as ledgers did before subjects carried a binding."""
    identities = Identities(env.ledger.store.identities())
    subject = identities.subject(author)
    statement = make_statement(
        [{"name": subject.node_id, "digest": {"sha256": "0" * 64}}],
        LINEAGE,
        Step("collect", "1", "run-1"),
        T0,
        {"nodes": [["Subject", subject.node_id, {}]]},
    )
    envelope = sign_envelope(statement.payload(), env.collector)
    env.ledger.append([("legacy", envelope)], env.admin, identities=identities.take_pending())
    return subject


def test_an_author_without_a_binding_is_erased_only_unchecked(env: LedgerEnv) -> None:
    subject = _unbound_author(env, A)
    size = env.ledger.size()
    with pytest.raises(KeyTableError, match="--unchecked"):
        erase_author(env.ledger, env.admin, A)
    assert env.ledger.size() == size
    result = erase_author(env.ledger, env.admin, A, unchecked=True)
    assert result.erased and not result.key_checked
    assert Identities(env.ledger.store.identities()).subject(A, create=False) is None
    assert subject.node_id in erased_subjects(env.ledger.store)
