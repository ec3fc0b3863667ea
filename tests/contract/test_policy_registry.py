"""Only the log key registers policies and records checks: a pipeline step's key, which
may sign statements of any type for its own step, cannot put a policy of its own in
place of a registered one, nor a passing check in the list of recorded checks."""

from __future__ import annotations

import hashlib

from lineage.crypto.dsse import sign_envelope
from lineage.crypto.encoding import b64
from lineage.model.predicates import CHECK_RESULT, POLICY_REGISTRATION
from lineage.model.statement import Step, make_statement
from lineage.policy.document import read_policy
from lineage.policy.gate import run_check
from lineage.policy.registry import (
    policy_named,
    recorded_checks,
    register_policy,
    registrations,
)

from support.ledgers import T0, LedgerEnv
from support.policy_fixtures import HEAD, POLICY, build


def _forged(env: LedgerEnv, predicate_type: str, fields: dict[str, object]) -> None:
    statement = make_statement(
        [{"name": "policy:forged", "digest": {"sha256": "00" * 32}}],
        predicate_type,
        Step("collect", "1", "run-1"),
        T0,
        fields,
    )
    env.append([sign_envelope(statement.payload(), env.collector)])


def test_a_step_key_cannot_register_a_policy_or_record_a_check(env: LedgerEnv) -> None:
    build(env)
    policy = read_policy(POLICY)
    registered = register_policy(env.ledger, env.admin, policy)
    lenient = (HEAD.replace("'p'", f"'{policy.id}'").replace("'1'", "'2099.01'")).encode()
    lenient += b"[[rules]]\nid='any'\nimplements='x'\nexpr='true'\n"
    document = {"id": policy.id, "version": "2099.01"}
    digest = hashlib.sha256(lenient).hexdigest()
    _forged(
        env,
        POLICY_REGISTRATION,
        {"policy": {**document, "sha256": digest}, "document": b64(lenient)},
    )
    _forged(env, CHECK_RESULT, {"artifact": "model:m1", "ok": True, "violations": 0})
    _forged(env, POLICY_REGISTRATION, {"policy": "not an object"})
    assert registrations(env.ledger) == [registered]
    named = policy_named(env.ledger, policy.id)
    assert named.version == policy.version and named.sha256 == policy.sha256
    assert run_check(env.ledger, "model:m1", named).report.violations > 0
    assert recorded_checks(env.ledger) == []
