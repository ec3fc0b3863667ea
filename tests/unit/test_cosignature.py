"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) and the
witness policy a verifier applies."""

from __future__ import annotations

import base64

import pytest

from lineage.crypto.cosignature import (
    WitnessKey,
    WitnessPolicy,
    cosign,
    cosignatures,
    parse_witness_key,
)
from lineage.crypto.keys import SigningKey
from lineage.crypto.note import Checkpoint, verifier_key, with_signature_lines
from lineage.errors import CheckpointError, InputError

ROOT = bytes(range(32))


def _witness(name: str) -> tuple[SigningKey, WitnessKey]:
    key = SigningKey.generate(name.replace("/", "-"))
    return key, WitnessKey(name, key.public)


@pytest.fixture
def signed() -> tuple[Checkpoint, str]:
    log = SigningKey.generate("log")
    checkpoint = Checkpoint("example.test/log", 7, ROOT)
    return checkpoint, checkpoint.sign(log)


def test_a_cosignature_verifies_with_its_timestamp(signed: tuple[Checkpoint, str]) -> None:
    checkpoint, note = signed
    key, witness = _witness("w1.example")
    cosigned = note + cosign(checkpoint.text(), "w1.example", key, 1_700_000_000)
    [found] = cosignatures(cosigned, [witness])
    assert (found.witness, found.timestamp) == ("w1.example", 1_700_000_000)


def test_the_verifier_key_round_trips_and_has_type_4() -> None:
    _, witness = _witness("w1.example")
    text = witness.vkey()
    name, key_hash, encoded = text.split("+", 2)
    assert (name, len(key_hash)) == ("w1.example", 8)
    assert base64.b64decode(encoded)[0] == 4
    assert parse_witness_key(text) == witness


def test_a_log_key_is_not_a_witness_key() -> None:
    log = SigningKey.generate("log")
    with pytest.raises(InputError, match="type 0x04"):
        parse_witness_key(verifier_key("example.test/log", log.public))


@pytest.mark.parametrize("text", ["", "w1+abc", "w1+00000000+!!", "w 1+00000000+AAAA"])
def test_malformed_witness_keys_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_witness_key(text)


def test_a_cosignature_of_another_checkpoint_does_not_verify(
    signed: tuple[Checkpoint, str],
) -> None:
    _, note = signed
    key, witness = _witness("w1.example")
    other = Checkpoint("example.test/log", 8, ROOT)
    cosigned = note + cosign(other.text(), "w1.example", key, 5)
    assert cosignatures(cosigned, [witness]) == []
    policy = WitnessPolicy.of([witness.vkey()], 1)
    assert policy is not None
    with pytest.raises(CheckpointError, match="not verifying: w1"):
        policy.check(cosigned)


def test_unknown_signers_are_ignored(signed: tuple[Checkpoint, str]) -> None:
    checkpoint, note = signed
    key, _ = _witness("w1.example")
    _, stranger = _witness("w2.example")
    assert cosignatures(note + cosign(checkpoint.text(), "w1.example", key, 5), [stranger]) == []


def test_the_quorum_counts_distinct_named_witnesses(signed: tuple[Checkpoint, str]) -> None:
    checkpoint, note = signed
    (k1, w1), (k2, w2), (_, w3) = (_witness(f"w{i}.example") for i in (1, 2, 3))
    one = note + cosign(checkpoint.text(), w1.name, k1, 5)
    two = one + cosign(checkpoint.text(), w2.name, k2, 6)
    twice = one + cosign(checkpoint.text(), w1.name, k1, 9)
    vkeys = [w1.vkey(), w2.vkey(), w3.vkey()]
    for quorum, cosigned, counted in [(0, note, 0), (1, one, 1), (2, two, 2), (2, twice, None)]:
        policy = WitnessPolicy.of(vkeys, quorum)
        assert policy is not None
        if counted is None:
            with pytest.raises(CheckpointError, match="1 of the 2 required"):
                policy.check(cosigned)
        else:
            assert len(policy.check(cosigned)) == counted
    every = WitnessPolicy.of(vkeys, None)
    assert every is not None and every.quorum == 3
    with pytest.raises(CheckpointError, match=r"none valid from: w3\.example"):
        every.check(two)


def test_policy_options_are_checked() -> None:
    _, w1 = _witness("w1.example")
    assert WitnessPolicy.of([], None) is None
    with pytest.raises(InputError, match="quorum 2"):
        WitnessPolicy.of([w1.vkey()], 2)
    with pytest.raises(InputError, match="named twice"):
        WitnessPolicy.of([w1.vkey(), w1.vkey()], 1)
    alias = WitnessKey("alias.example", w1.public)
    with pytest.raises(InputError, match="share one key"):
        WitnessPolicy.of([w1.vkey(), alias.vkey()], 2)


def test_signature_lines_are_added_after_the_logs_and_replace_a_signers_own(
    signed: tuple[Checkpoint, str],
) -> None:
    checkpoint, note = signed
    (k1, w1), (k2, w2) = _witness("w1.example"), _witness("w2.example")
    first = with_signature_lines(note, {w1.name: cosign(checkpoint.text(), w1.name, k1, 5)})
    both = with_signature_lines(first, {w2.name: cosign(checkpoint.text(), w2.name, k2, 6)})
    renewed = with_signature_lines(both, {w1.name: cosign(checkpoint.text(), w1.name, k1, 9)})
    assert both.startswith(note) and renewed.startswith(note)
    assert renewed.count("\u2014 ") == 3
    times = {c.witness: c.timestamp for c in cosignatures(renewed, [w1, w2])}
    assert times == {"w1.example": 9, "w2.example": 6}
