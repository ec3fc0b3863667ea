"""Policies registered in the ledger: a signed statement per (id, version) naming the
SHA-256 of the policy file and carrying the file itself, so a check can show which
rules it applied, refuse a file that differs from the registered one, and run a
registered policy by its id (``--policy ID[@VERSION]``) where the file is not at hand.
Registrations made before the file was carried name its digest only: those policies
are checked from their file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.crypto.dsse import parse_envelope
from lineage.crypto.encoding import b64, from_b64
from lineage.crypto.keys import SigningKey
from lineage.errors import InputError, LineageError
from lineage.ledger.log import Ledger
from lineage.model.predicates import CHECK_RESULT, POLICY_REGISTRATION
from lineage.model.statement import ADMIN_STEP, Statement, parse_statement
from lineage.model.times import format_time
from lineage.policy.cel_env import compile_rules
from lineage.policy.check import CheckReport
from lineage.policy.document import Policy, parse_policy, read_policy

MAX_CARRIED_BYTES = 24 * 1024
"""The largest policy file a registration carries: the entry must stay within a
transparency-log tile entry (64 KiB, with the file base64-encoded in a base64
envelope); a larger file is registered by its digest alone and checked from the file."""


@dataclass(frozen=True)
class Registration:
    """A policy (id, version, file SHA-256) registered in ledger entry ``entry``, at
    ``time``; ``carried``: whether the registration holds the file itself."""

    id: str
    version: str
    sha256: str
    entry: int
    time: str = ""
    carried: bool = False


def _statement(ledger: Ledger, entry: int) -> Statement | None:
    """The statement of ``entry`` if the log key signed it as the admin step (only those
    register policies and record checks: a pipeline step's key may sign any predicate
    type for its own step, and must not be able to register a policy); else None."""
    stored = ledger.store.entry(entry)
    if stored is None:
        return None
    try:
        envelope = parse_envelope(stored[1])
        statement = parse_statement(envelope.payload)
    except LineageError:
        return None
    if statement.step.name != ADMIN_STEP or envelope.keyid != ledger.log_public_key.keyid:
        return None
    return statement


def registrations(ledger: Ledger) -> list[Registration]:
    """Every policy registration in the ledger, oldest first."""
    found = []
    for entry in ledger.store.entries_of_type([POLICY_REGISTRATION]):
        statement = _statement(ledger, entry)
        if statement is None:
            continue
        fields = statement.predicate.get("policy")
        if not isinstance(fields, dict):
            continue
        found.append(
            Registration(
                str(fields.get("id")),
                str(fields.get("version")),
                str(fields.get("sha256")),
                entry,
                format_time(statement.time),
                isinstance(statement.predicate.get("document"), str),
            )
        )
    return found


def registered_policy(ledger: Ledger, reference: str) -> tuple[Policy, Registration]:
    """The registered policy ``reference`` names (``ID`` for its latest registration,
    ``ID@VERSION`` for one version), read from the ledger and checked against its
    registered SHA-256."""
    wanted, at, version = reference.partition("@")
    matching = [
        r for r in registrations(ledger) if r.id == wanted and (not at or r.version == version)
    ]
    if not matching:
        raise InputError(
            f"no policy {reference[:120]!r} is registered in this ledger"
            " (lineage policy list shows those that are; a file path works too)"
        )
    registration = matching[-1]
    statement = _statement(ledger, registration.entry)
    carried = statement.predicate.get("document") if statement is not None else None
    if not isinstance(carried, str):
        raise InputError(
            f"policy {registration.id} {registration.version} was registered (entry"
            f" {registration.entry}) without its file: give the file with --policy FILE"
        )
    where = f"policy {registration.id}@{registration.version} (entry {registration.entry})"
    document = from_b64(carried, "predicate.document")
    try:
        policy = parse_policy(document, where)
    except RecursionError as exc:
        raise InputError(f"{where}: the file it carries is nested too deeply") from exc
    if policy.sha256 != registration.sha256 or (policy.id, policy.version) != (
        registration.id,
        registration.version,
    ):
        raise InputError(
            f"entry {registration.entry}: the policy file it carries is not the one it"
            " registers (its id, version or SHA-256 differ): run lineage verify"
        )
    return policy, registration


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
    fields: dict[str, Any] = {"policy": policy.to_json()}
    if 0 < len(policy.document) <= MAX_CARRIED_BYTES:
        fields["document"] = b64(policy.document)
    entry = ledger.admin_statement(log_key, subject, POLICY_REGISTRATION, fields)
    return next(r for r in registrations(ledger) if r.entry == entry)


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


_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[A-Za-z0-9][A-Za-z0-9._+-]{0,99})?\Z")


def policy_named(ledger: Ledger, given: str) -> Policy:
    """The policy ``given`` names: a policy file if there is one at that path, else a
    registered policy's ``ID`` or ``ID@VERSION``."""
    path = Path(given)
    if path.is_file():
        return read_policy(path)
    if _REFERENCE.match(given):
        return registered_policy(ledger, given)[0]
    raise InputError(f"no policy file {given[:200]!r}, and it is not a policy id")


@dataclass(frozen=True)
class RecordedCheck:
    """A check result recorded in the ledger (``lineage check --record``)."""

    entry: int
    time: str
    artifact: str
    policy: str
    ok: bool
    origins: int
    violations: int
    notices: int

    def to_json(self) -> dict[str, Any]:
        """The recorded check as a JSON object."""
        return dict(vars(self))


def recorded_checks(ledger: Ledger) -> list[RecordedCheck]:
    """Every check result recorded in the ledger, oldest first."""
    found = []
    for entry in ledger.store.entries_of_type([CHECK_RESULT]):
        statement = _statement(ledger, entry)
        if statement is None:
            continue
        fields = statement.predicate
        policy = fields.get("policy", {})
        named = f"{policy.get('id')}@{policy.get('version')}" if isinstance(policy, dict) else ""
        found.append(
            RecordedCheck(
                entry,
                format_time(statement.time),
                str(fields.get("artifact", "")),
                named,
                fields.get("ok") is True,
                _count(fields.get("origins")),
                _count(fields.get("violations")),
                _count(fields.get("notices")),
            )
        )
    return found


def _count(value: object) -> int:
    return value if type(value) is int else 0
