"""A registered signer key: the steps it may sign for and when, as the log registered it.

Keys are registered and revoked by statements of the ``lineage.admin`` step
(:data:`KEY_REGISTRATION`, :data:`KEY_REVOCATION`); :mod:`lineage.ledger.trust` replays
them from the log. Stores keep the replayed registry as rows of :class:`Signer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.crypto.keys import PublicKey, check_key_name
from lineage.model.times import format_time

ACTIVE, REVOKED, NOT_YET_VALID, EXPIRED = "active", "revoked", "not yet valid", "expired"


@dataclass(frozen=True)
class Signer:
    """A key registered in the log, with its steps, validity window and revocation."""

    keyid: str
    name: str
    public_key: PublicKey
    steps: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    registered_in: int
    revoked_in: int | None = None

    def status_at(self, time: datetime) -> str:
        """``active``, ``revoked``, ``not yet valid`` or ``expired`` at ``time``."""
        if self.revoked_at is not None and time >= self.revoked_at:
            return REVOKED
        if time < self.valid_from:
            return NOT_YET_VALID
        if self.valid_until is not None and time >= self.valid_until:
            return EXPIRED
        return ACTIVE

    def to_json(self) -> dict[str, Any]:
        """The signer as a JSON object (times in RFC 3339, the public key in base64)."""
        return {
            "name": self.name,
            "keyid": self.keyid,
            "public_key": self.public_key.b64(),
            "steps": list(self.steps),
            "valid_from": format_time(self.valid_from),
            "valid_until": format_time(self.valid_until) if self.valid_until else None,
            "revoked_at": format_time(self.revoked_at) if self.revoked_at else None,
            "registered_in": self.registered_in,
            "revoked_in": self.revoked_in,
        }


def registration_fields(
    name: str,
    public: PublicKey,
    steps: list[str],
    valid_from: datetime,
    valid_until: datetime | None,
) -> dict[str, Any]:
    """The predicate fields of a key registration statement."""
    fields: dict[str, Any] = {
        "name": check_key_name(name),
        "keyid": public.keyid,
        "publicKey": public.b64(),
        "steps": steps,
        "validFrom": format_time(valid_from),
    }
    if valid_until is not None:
        fields["validUntil"] = format_time(valid_until)
    return fields
