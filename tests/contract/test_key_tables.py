"""Erasure cannot hit the wrong person: every raw-id resolution is checked against what the
ledger signed, and verify reports key-table rows that do not match it."""

from __future__ import annotations

import pytest

from lineage.errors import KeyTableError
from lineage.ledger.erasure import erase_author
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.identity import Identities, Subject
from lineage.query.resolve import resolve

from support.graph_fixtures import ingest_hand_built_pipeline
from support.ledgers import LedgerEnv
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
        resolve(graph.ledger.store, author=A)


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
