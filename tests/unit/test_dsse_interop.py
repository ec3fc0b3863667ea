"""Our DSSE envelopes against an independent implementation (securesystemslib)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.exceptions import VerificationError as SslibVerificationError
from securesystemslib.signer import CryptoSigner, SSlibKey

from lineage.crypto.dsse import INTOTO_PAYLOAD_TYPE, pae, parse_envelope, sign_envelope
from lineage.crypto.keys import PublicKey, SigningKey
from lineage.errors import InputError, SignatureError
from lineage.model.statement import parse_statement

from support.ledgers import example_envelope


def _sslib_key(key: SigningKey) -> SSlibKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    public = Ed25519PublicKey.from_public_bytes(key.public.raw)
    return SSlibKey.from_crypto(public, keyid=key.keyid)


def test_pae_is_the_dsse_v1_encoding() -> None:
    # The example in the DSSE protocol document: PAE("http://example.com/HelloWorld", "hello world")
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_securesystemslib_verifies_our_envelope(env) -> None:  # type: ignore[no-untyped-def]
    ours = example_envelope(env.collector)
    theirs = SslibEnvelope.from_dict(json.loads(ours.canonical()))
    accepted = theirs.verify([_sslib_key(env.collector)], 1)
    assert list(accepted) == [env.collector.keyid]
    assert theirs.payload_type == INTOTO_PAYLOAD_TYPE
    assert parse_statement(theirs.payload).step.name == "collect"


def test_securesystemslib_rejects_our_envelope_with_a_changed_payload(env) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(example_envelope(env.collector).canonical())
    payload = base64.b64decode(data["payload"]).replace(b"ds:example-0", b"ds:example-1")
    data["payload"] = base64.b64encode(payload).decode()
    with pytest.raises(SslibVerificationError):
        SslibEnvelope.from_dict(data).verify([_sslib_key(env.collector)], 1)


def test_we_verify_an_envelope_signed_by_securesystemslib() -> None:
    private = Ed25519PrivateKey.generate()
    signer = CryptoSigner(private)
    payload = b'{"hello":"world"}'
    theirs = SslibEnvelope(payload, INTOTO_PAYLOAD_TYPE, {})
    theirs.sign(signer)
    ours = parse_envelope(json.dumps(theirs.to_dict()))
    from cryptography.hazmat.primitives import serialization

    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    ours.verify(PublicKey(raw))
    with pytest.raises(SignatureError):
        ours.verify(SigningKey.generate("other").public)


def test_sign_then_parse_round_trips() -> None:
    key = SigningKey.generate("k")
    envelope = sign_envelope(b"payload", key)
    again = parse_envelope(envelope.canonical())
    assert again == envelope
    again.verify(key.public)


T = "application/vnd.in-toto+json"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[]", ""),
        (
            '{"payload":"!!","payloadType":"TYPE","signatures":[{"keyid":"k","sig":""}]}'.replace(
                "TYPE", T
            ),
            "payload",
        ),
        ('{"payload":"","payloadType":"","signatures":[]}', "payloadType"),
        ('{"payload":"","payloadType":"text/plain","signatures":[]}', "payloadType"),
        ('{"payload":"","payloadType":"TYPE","signatures":[]}'.replace("TYPE", T), "signatures"),
        (
            '{"payload":"","payloadType":"TYPE","signatures":[{"keyid":"k","sig":"%%"}]}'.replace(
                "TYPE", T
            ),
            "signatures[0].sig",
        ),
        (
            '{"payload":"","payloadType":"TYPE","signatures":[{"keyid":"k","sig":"AAAA"}]}'.replace(
                "TYPE", T
            ),
            "signatures[0].sig",
        ),
        (
            '{"payload":"","payloadType":"TYPE","signatures":[],"extra":1}'.replace("TYPE", T),
            "extra",
        ),
        (
            '{"payload":"","payload":"","payloadType":"TYPE","signatures":[]}'.replace("TYPE", T),
            "payload",
        ),
    ],
)
def test_malformed_envelopes_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_envelope(text)
    assert caught.value.field == field
