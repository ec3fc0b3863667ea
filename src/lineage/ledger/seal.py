"""The signer registry as the log key sealed it, so that append trusts only the log.

Who may sign what is decided at append from the registry the store keeps (replayed from
the key statements as they were appended). A row slipped into that table would let an
unregistered key's statement into the append-only log. So each append ends by signing,
with the log key, a C2SP signed note over the registry's digest and the log size:

    <origin>/signers
    <log size>
    <base64 SHA-256 of the registry's rows in RFC 8785 form>

and the next append checks it before trusting the table: a changed, added or removed
signer row, or a seal from another size, is refused. A ledger with entries but no seal
(written before seals existed, or whose seal was removed) takes no append until a full
verification has replayed the registry from the log and sealed it
(:meth:`lineage.ledger.log.Ledger.seal_verified`, ``lineage verify --seal``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from hashlib import sha256

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.keys import PublicKey, SigningKey
from lineage.crypto.note import open_note, sign_note
from lineage.errors import LineageError, VerificationError
from lineage.model.signer import Signer

SEAL_META = "signers_seal"
"""The metadata key under which the store keeps the seal."""


def registry_digest(signers: Iterable[Signer]) -> bytes:
    """SHA-256 of the registry's rows (sorted by key id) in RFC 8785 form."""
    rows = [signer.to_json() for signer in sorted(signers, key=lambda s: s.keyid)]
    return sha256(canonical_bytes(rows)).digest()


def _text(origin: str, size: int, digest: bytes) -> str:
    return f"{origin}/signers\n{size}\n{base64.b64encode(digest).decode()}\n"


def seal(origin: str, size: int, signers: Iterable[Signer], log_key: SigningKey) -> str:
    """The signed note sealing the registry ``signers`` at log size ``size``."""
    return sign_note(_text(origin, size, registry_digest(signers)), origin, log_key)


def check_seal(
    note: str, origin: str, log_key: PublicKey, size: int, signers: Iterable[Signer]
) -> None:
    """Raise :class:`VerificationError` unless ``note`` is the log key's seal of exactly
    this registry at this log size."""
    try:
        text = open_note(note, origin, log_key)
    except LineageError as exc:
        raise VerificationError(f"the signer registry's seal does not verify ({exc})") from exc
    expected = _text(origin, size, registry_digest(signers))
    if text != expected:
        sealed_size = text.split("\n")[1] if text.count("\n") >= 2 else "?"
        raise VerificationError(
            f"the signer registry differs from the one the log key sealed at size"
            f" {sealed_size[:20]} (the log has {size} entries): the store was changed"
            " outside lineage; run lineage verify"
        )


def sealed_size(note: str) -> int | None:
    """The log size a seal names (unverified), or None if it names none."""
    lines = note.split("\n")
    return int(lines[1]) if len(lines) > 2 and lines[1].isdigit() and len(lines[1]) < 20 else None
