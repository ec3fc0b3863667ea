"""Policies registered in the ledger: a signed statement per (id, version) naming the
SHA-256 of the policy file, so a check can show which rules it applied and refuse a
file that differs from the registered one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.crypto.dsse import parse_envelope
from lineage.crypto.keys import SigningKey
from lineage.errors import InputError
from lineage.ledger.log import Ledger
from lineage.model.predicates import CHECK_RESULT, POLICY_REGISTRATION
from lineage.model.statement import parse_statement
from lineage.policy.cel_env import compile_rules
from lineage.policy.check import CheckReport
from lineage.policy.document import Policy


@dataclass(frozen=True)
class Registration:
    """A policy (id, version, file SHA-256) registered in ledger entry ``entry``."""

    id: str
    version: str
    sha256: str
    entry: int


def registrations(ledger: Ledger) -> list[Registration]:
    """Every policy registration in the ledger, oldest first."""
    found = []
    for entry in ledger.store.entries_of_type([POLICY_REGISTRATION]):
        stored = ledger.store.entry(entry)
        if stored is None:
            continue
        statement = parse_statement(parse_envelope(stored[1]).payload)
        fields: dict[str, Any] = statement.predicate.get("policy", {})
        found.append(
            Registration(
                str(fields.get("id")),
                str(fields.get("version")),
                str(fields.get("sha256")),
                entry,
            )
        )
    return found


def registered(ledger: Ledger, policy: Policy) -> Registration | None:
    """The registration of this policy's id and version, if any; :class:`InputError` if
    it names another file."""
    for registration in registrations(ledger):
        if (registration.id, registration.version) != (policy.id, policy.version):
            continue
        if registration.sha256 != policy.sha256:
            raise InputError(
                f"{policy.source}: policy {policy.id} version {policy.version} was registered"
                f" (entry {registration.entry}) with SHA-256 {registration.sha256[:16]}…, but"
                f" this file's is {policy.sha256[:16]}…: register a new version instead of"
                " editing a registered one"
            )
        return registration
    return None


def register_policy(ledger: Ledger, log_key: SigningKey, policy: Policy) -> Registration:
    """Record ``policy`` in the ledger (signed by the log key) once its rules compile;
    returns its registration. Registering the same file again returns the first one."""
    compile_rules(policy)
    existing = registered(ledger, policy)
    if existing is not None:
        return existing
    subject = (f"policy:{policy.id}@{policy.version}", policy.sha256)
    fields = {"policy": policy.to_json()}
    entry = ledger.admin_statement(log_key, subject, POLICY_REGISTRATION, fields)
    return Registration(policy.id, policy.version, policy.sha256, entry)


def record_check(ledger: Ledger, log_key: SigningKey, report: CheckReport) -> int:
    """Append the outcome of a check (artifact, policy version used, counts, verdict) as a
    statement signed by the log key: evidence of the gate a training run passed."""
    summary = report.to_json()
    fields = {
        "artifact": report.artifact,
        "policy": summary["policy"],
        "as_of": summary["as_of"],
        "ok": report.ok,
        "origins": report.origins,
        "records": report.records,
        "violations": report.violations,
        "notices": report.notices,
        "rules": [{"rule": r.id, "failed": r.failed} for r in report.rules],
    }
    subject = (f"check:{report.artifact}", report.policy.sha256)
    return ledger.admin_statement(log_key, subject, CHECK_RESULT, fields)
