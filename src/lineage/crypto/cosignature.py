"""Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``).

A cosignature is a note signature line on the log's checkpoint by a witness: the witness
states that, at the time it names, this is the largest tree it has seen of the log and
that it is consistent with every earlier one it cosigned. The line's blob is

    key hash (4) || timestamp (8, big-endian seconds) || Ed25519 signature (64)

over ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint body. The key
hash is SHA-256(name || "\\n" || 0x04 || public key)[:4], and the verifier key
``name+hash+base64(0x04 || public key)``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from hashlib import sha256

from lineage.crypto.keys import PublicKey, SigningKey
from lineage.crypto.note import signature_line, split_note
from lineage.errors import CheckpointError, InputError, SignatureError

COSIGNATURE_TYPE = b"\x04"
_TIMESTAMP_MAX = (1 << 63) - 1
MAX_WITNESSES = 64


@dataclass(frozen=True)
class WitnessKey:
    """A witness's name and Ed25519 cosigning key."""

    name: str
    public: PublicKey

    @property
    def key_hash(self) -> bytes:
        """The 4-byte key hash its signature lines start with."""
        return sha256(self.name.encode() + b"\n" + COSIGNATURE_TYPE + self.public.raw).digest()[:4]

    def vkey(self) -> str:
        """The verifier key string ``name+hash+base64(0x04 || key)``."""
        encoded = base64.b64encode(COSIGNATURE_TYPE + self.public.raw).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"


def parse_witness_key(text: str) -> WitnessKey:
    """Parse a witness verifier key; :class:`InputError` names what is wrong with it."""
    try:
        name, hash_hex, key_b64 = text.strip().split("+", 2)
        raw = base64.b64decode(key_b64, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise InputError("a witness verifier key is NAME+HASH+BASE64") from exc
    if not name or any(c.isspace() for c in name) or len(name) > 200:
        raise InputError(f"witness key name {name[:40]!r} must be short and without spaces")
    if len(raw) != 33 or raw[:1] != COSIGNATURE_TYPE:
        raise InputError(f"witness key {name!r} is not an Ed25519 cosignature/v1 key (type 0x04)")
    key = WitnessKey(name, PublicKey(raw[1:]))
    if key.key_hash.hex() != hash_hex.lower():
        raise InputError(f"witness key {name!r}: the hash does not match its name and key")
    return key


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a ``cosignature/v1`` signs: the header, the time and the checkpoint body."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, name: str, key: SigningKey, timestamp: int) -> str:
    """A cosignature line by ``key`` as witness ``name`` (used by tests and tools)."""
    witness = WitnessKey(name, key.public)
    signature = key.sign(cosigned_message(checkpoint_text, timestamp))
    return signature_line(name, witness.key_hash + struct.pack(">Q", timestamp) + signature)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: the witness and the time it signed at."""

    witness: str
    timestamp: int

    def to_json(self) -> dict[str, object]:
        """The cosignature as JSON: the witness's name and the time it signed at."""
        return {"witness": self.witness, "timestamp": self.timestamp}


def cosignatures(note: str, witnesses: list[WitnessKey]) -> list[Cosignature]:
    """The valid cosignatures on ``note`` by ``witnesses``, one per witness; other
    signature lines, and lines by them that do not verify, are not counted."""
    return _examine(note, witnesses)[0]


def _examine(note: str, witnesses: list[WitnessKey]) -> tuple[list[Cosignature], set[str]]:
    """The valid cosignatures by ``witnesses``, and the names of those with a line that
    names them (name and key hash) but does not verify."""
    text, lines = split_note(note)
    by_id = {(w.name, w.key_hash): w for w in witnesses}
    found: dict[str, Cosignature] = {}
    invalid: set[str] = set()
    for name, blob in lines:
        witness = by_id.get((name, blob[:4]))
        if witness is None:
            continue
        timestamp = _verified_timestamp(witness, text, blob)
        if timestamp is None:
            invalid.add(name)
        else:
            found.setdefault(name, Cosignature(name, timestamp))
    return list(found.values()), invalid - set(found)


def _verified_timestamp(witness: WitnessKey, text: str, blob: bytes) -> int | None:
    if len(blob) != 4 + 8 + 64:
        return None
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    if timestamp > _TIMESTAMP_MAX or timestamp == 0:
        return None
    try:
        witness.public.verify(blob[12:], cosigned_message(text, timestamp))
    except SignatureError:
        return None
    return int(timestamp)


@dataclass(frozen=True)
class WitnessPolicy:
    """A checkpoint counts only with ``quorum`` valid cosignatures from ``witnesses``."""

    witnesses: tuple[WitnessKey, ...]
    quorum: int

    @classmethod
    def of(cls, vkeys: list[str], quorum: int | None) -> WitnessPolicy | None:
        """The policy ``--witness VKEY... --quorum N`` asks for (None if neither is given);
        the quorum defaults to every named witness."""
        if not vkeys and quorum is None:
            return None
        if len(vkeys) > MAX_WITNESSES:
            raise InputError(f"at most {MAX_WITNESSES} witnesses")
        keys = tuple(parse_witness_key(v) for v in vkeys)
        if len({k.name for k in keys}) != len(keys):
            raise InputError("a witness is named twice")
        if len({k.public.raw for k in keys}) != len(keys):
            raise InputError("two witnesses share one key (one signer would count twice)")
        wanted = len(keys) if quorum is None else quorum
        if not 0 <= wanted <= len(keys):
            raise InputError(f"quorum {wanted} is not between 0 and the {len(keys)} witness(es)")
        return cls(keys, wanted)

    def check(self, note: str) -> list[Cosignature]:
        """The valid cosignatures counted (a line by a named witness that does not verify
        is not counted); :class:`CheckpointError` if fewer than the quorum."""
        valid, invalid = _examine(note, list(self.witnesses))
        if len(valid) < self.quorum:
            missing = sorted({w.name for w in self.witnesses} - {c.witness for c in valid})
            bad = f"; not verifying: {', '.join(sorted(invalid))}" if invalid else ""
            raise CheckpointError(
                f"witness: the checkpoint has {len(valid)} of the {self.quorum} required"
                f" cosignatures (none valid from: {', '.join(missing)}{bad})"
            )
        return valid
