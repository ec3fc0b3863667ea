"""Which keys may sign what: the signer registry replayed from the ledger.

Keys are registered and revoked by statements signed by a key authorised for
the ``lineage.admin`` step. Entry 0 of every log is the log key registering
itself for that step; nothing else is trusted without a registration.

A statement is authorised when its signer is registered, lists the statement's
step, and the statement's claimed time lies in ``[valid_from, valid_until)`` and
before any revocation. The time is the signer's claim: a compromised key can
backdate statements to before its revocation, which is why revocation also
names the moment from which the key is distrusted, and auditors see both times.
"""

from __future__ import annotations

from dataclasses import replace

from lineage.crypto.keys import PublicKey, check_key_name
from lineage.errors import AuthorizationError, InputError
from lineage.model.predicates import KEY_REGISTRATION, KEY_REVOCATION
from lineage.model.signer import ACTIVE, Signer
from lineage.model.statement import ADMIN_STEP, Statement
from lineage.model.times import format_time, parse_time

MAX_STEPS_PER_KEY = 256


def is_key_statement(statement: Statement) -> bool:
    """Registrations and revocations change who may sign: they are checked one by one."""
    return statement.predicate_type in (KEY_REGISTRATION, KEY_REVOCATION)


def _registration(statement: Statement, entry_index: int) -> Signer:
    predicate = statement.predicate
    try:
        name = check_key_name(str(predicate.get("name", "")))
    except InputError as exc:
        raise InputError(exc.problem, field="predicate.name") from exc
    public = PublicKey.from_b64(str(predicate.get("publicKey", "")), "predicate.publicKey")
    if predicate.get("keyid") != public.keyid:
        raise InputError("does not match publicKey", field="predicate.keyid")
    steps = predicate.get("steps")
    if (
        not isinstance(steps, list)
        or not steps
        or len(steps) > MAX_STEPS_PER_KEY
        or not all(isinstance(s, str) and s and len(s) <= 256 for s in steps)
    ):
        raise InputError(
            f"must be a list of 1-{MAX_STEPS_PER_KEY} step names", field="predicate.steps"
        )
    valid_from = parse_time(predicate.get("validFrom"), "predicate.validFrom")
    until_raw = predicate.get("validUntil")
    valid_until = parse_time(until_raw, "predicate.validUntil") if until_raw is not None else None
    if valid_until is not None and valid_until <= valid_from:
        raise InputError("must be after validFrom", field="predicate.validUntil")
    return Signer(
        public.keyid, name, public, tuple(steps), valid_from, valid_until, None, entry_index
    )


class TrustState:
    """The signer registry as of some point in the log."""

    def __init__(self, signers: list[Signer] | None = None) -> None:
        self.signers: dict[str, Signer] = {s.keyid: s for s in signers or []}

    def by_name(self, name: str) -> Signer | None:
        """The signer with this name that is not revoked (else the latest one)."""
        matches = [s for s in self.signers.values() if s.name == name]
        live = [s for s in matches if s.revoked_at is None]
        pool = live or matches
        return max(pool, key=lambda s: s.registered_in) if pool else None

    def authorize(self, keyid: str, statement: Statement, entry_index: int) -> Signer:
        """The signer of ``statement``; raises :class:`AuthorizationError` if it may not sign it."""
        signer = self.signers.get(keyid)
        if signer is None:
            if entry_index == 0 and not self.signers:
                return self._bootstrap(keyid, statement)
            raise AuthorizationError(f"statement signed by unknown key {keyid[:16]}")
        step = statement.step.name
        if step not in signer.steps:
            raise AuthorizationError(
                f"key {signer.name!r} is not authorised for step {step!r}"
                f" (it may sign: {', '.join(signer.steps)})"
            )
        status = signer.status_at(statement.time)
        if status != ACTIVE:
            raise AuthorizationError(
                f"key {signer.name!r} is {status} at the statement's time"
                f" {format_time(statement.time)}"
            )
        return signer

    def _bootstrap(self, keyid: str, statement: Statement) -> Signer:
        if (
            statement.predicate_type != KEY_REGISTRATION
            or statement.predicate.get("keyid") != keyid
        ):
            raise AuthorizationError("the first entry must be the log key registering itself")
        signer = _registration(statement, 0)
        if ADMIN_STEP not in signer.steps:
            raise AuthorizationError(f"the log key must be registered for {ADMIN_STEP!r}")
        return signer

    def apply(self, statement: Statement, entry_index: int) -> Signer | None:
        """Apply a registration or revocation; return the signer it created or changed."""
        if statement.predicate_type == KEY_REGISTRATION:
            return self._register(statement, entry_index)
        if statement.predicate_type == KEY_REVOCATION:
            return self._revoke(statement, entry_index)
        return None

    def _require_admin_step(self, statement: Statement) -> None:
        if statement.step.name != ADMIN_STEP:
            raise InputError(
                f"key statements must be for step {ADMIN_STEP!r}", field="predicate.step.name"
            )

    def _register(self, statement: Statement, entry_index: int) -> Signer:
        self._require_admin_step(statement)
        signer = _registration(statement, entry_index)
        known = self.signers.get(signer.keyid)
        if known is not None:
            return self._reregister(known, signer)
        current = self.by_name(signer.name)
        if current is not None and current.revoked_at is None:
            raise InputError(
                f"name {signer.name!r} is already used by a registered key", field="predicate.name"
            )
        self.signers[signer.keyid] = signer
        return signer

    def _reregister(self, known: Signer, signer: Signer) -> Signer:
        """A registration of a key already registered replaces its steps and validity
        window (to widen or narrow them) from that entry on; statements appended before
        it were authorised by the registration in force then. A revoked key stays
        revoked, and a key keeps its name."""
        if known.revoked_at is not None:
            raise InputError(
                f"key {known.name!r} is revoked and cannot be registered again",
                field="predicate.keyid",
            )
        if signer.name != known.name:
            raise InputError(
                f"key {signer.keyid[:16]} is registered as {known.name!r}", field="predicate.name"
            )
        self.signers[signer.keyid] = signer
        return signer

    def _revoke(self, statement: Statement, entry_index: int) -> Signer:
        self._require_admin_step(statement)
        keyid = statement.predicate.get("keyid")
        signer = self.signers.get(keyid) if isinstance(keyid, str) else None
        if signer is None:
            raise InputError("names no registered key", field="predicate.keyid")
        if signer.revoked_at is not None:
            raise InputError(f"key {signer.name!r} is already revoked", field="predicate.keyid")
        revoked_at = parse_time(statement.predicate.get("revokedAt"), "predicate.revokedAt")
        updated = replace(signer, revoked_at=revoked_at, revoked_in=entry_index)
        self.signers[signer.keyid] = updated
        return updated
