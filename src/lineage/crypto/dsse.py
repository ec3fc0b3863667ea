"""DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1) signed with Ed25519."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from lineage.crypto.canonical import canonical_bytes, parse_json
from lineage.crypto.encoding import from_b64
from lineage.crypto.keys import PublicKey, SigningKey
from lineage.errors import InputError

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
MAX_ENVELOPE_BYTES = 4 * 1024 * 1024
MAX_PAYLOAD_BYTES = (MAX_ENVELOPE_BYTES - 1024) // 4 * 3
"""The largest payload whose envelope (base64 payload, type, key id, signature) fits."""
ED25519_SIGNATURE_BYTES = 64
_VERBATIM = re.compile(r"[ !#-\[\]-~]*\Z")
"""Strings RFC 8785 writes as they are: printable ASCII but for the quote and backslash."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSEv1 pre-authentication encoding: the exact bytes that are signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope with exactly one Ed25519 signature over its payload."""

    payload_type: str
    payload: bytes
    keyid: str
    signature: bytes

    def to_json(self) -> dict[str, object]:
        """The envelope in DSSE JSON form, payload and signature in base64."""
        return {
            "payload": base64.b64encode(self.payload).decode(),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(self.signature).decode()}],
        }

    def canonical(self) -> bytes:
        """The envelope as stored in the log (RFC 8785): the leaf's entry bytes."""
        if _VERBATIM.match(self.payload_type) and _VERBATIM.match(self.keyid):
            payload = base64.b64encode(self.payload)
            signature = base64.b64encode(self.signature)
            return (
                b'{"payload":"%b","payloadType":"%b","signatures":[{"keyid":"%b","sig":"%b"}]}'
                % (
                    payload,
                    self.payload_type.encode(),
                    self.keyid.encode(),
                    signature,
                )
            )
        return canonical_bytes(self.to_json())

    def signing_input(self) -> bytes:
        """The bytes the signature covers: PAE of the payload type and payload."""
        return pae(self.payload_type, self.payload)

    def verify(self, key: PublicKey) -> None:
        """Raise SignatureError unless the signature verifies under ``key``."""
        key.verify(self.signature, self.signing_input())


def sign_envelope(
    payload: bytes, key: SigningKey, payload_type: str = INTOTO_PAYLOAD_TYPE
) -> Envelope:
    """Sign ``payload`` with ``key`` into a DSSE envelope (in-toto payload type by default)."""
    return Envelope(payload_type, payload, key.keyid, key.sign(pae(payload_type, payload)))


def parse_envelope(text: str | bytes) -> Envelope:
    """Parse one DSSE envelope in JSON; exactly one signature is required."""
    if len(text) > MAX_ENVELOPE_BYTES:
        raise InputError(f"envelope is larger than {MAX_ENVELOPE_BYTES} bytes")
    return envelope_from_json(parse_json(text))


def envelope_from_json(raw: object) -> Envelope:
    """A parsed DSSE envelope, validated; exactly one signature is required."""
    if not isinstance(raw, dict):
        raise InputError("a DSSE envelope must be a JSON object")
    unknown = set(raw) - {"payload", "payloadType", "signatures"}
    if unknown:
        raise InputError("unknown envelope field", field=sorted(unknown)[0])
    payload_type = raw.get("payloadType")
    if payload_type != INTOTO_PAYLOAD_TYPE:
        raise InputError(f"must be {INTOTO_PAYLOAD_TYPE!r}", field="payloadType")
    payload = from_b64(raw.get("payload"), "payload")
    signatures = raw.get("signatures")
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise InputError("must hold exactly one signature", field="signatures")
    entry = signatures[0]
    if not isinstance(entry, dict) or set(entry) - {"keyid", "sig"}:
        raise InputError("must be an object with keyid and sig", field="signatures[0]")
    keyid = entry.get("keyid")
    if not isinstance(keyid, str) or not keyid or len(keyid) > 128:
        raise InputError("must be a non-empty string", field="signatures[0].keyid")
    signature = from_b64(entry.get("sig"), "signatures[0].sig")
    if len(signature) != ED25519_SIGNATURE_BYTES:
        raise InputError(
            f"an Ed25519 signature has {ED25519_SIGNATURE_BYTES} bytes, not {len(signature)}",
            field="signatures[0].sig",
        )
    return Envelope(INTOTO_PAYLOAD_TYPE, payload, keyid, signature)
