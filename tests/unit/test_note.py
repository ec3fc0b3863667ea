"""C2SP signed notes and checkpoints."""

from __future__ import annotations

import base64

import pytest

from lineage.crypto.keys import SigningKey
from lineage.crypto.note import (
    Checkpoint,
    note_key_hash,
    open_checkpoint,
    open_note,
    parse_verifier_key,
    sign_note,
    verifier_key,
)
from lineage.errors import CheckpointError, SignatureError

ORIGIN = "lineage.test/log"


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate("log")


def test_checkpoint_note_has_the_c2sp_layout(key: SigningKey) -> None:
    note = Checkpoint(ORIGIN, 7, b"\x01" * 32).sign(key)
    text, signature_line = note.split("\n\n")
    assert text.split("\n") == [ORIGIN, "7", base64.b64encode(b"\x01" * 32).decode()]
    assert signature_line.startswith(f"\u2014 {ORIGIN} ") and signature_line.endswith("\n")
    blob = base64.b64decode(signature_line.rsplit(" ", 1)[1])
    assert blob[:4] == note_key_hash(ORIGIN, key.public) and len(blob) == 68
    key.public.verify(blob[4:], (text + "\n").encode())


def test_key_hash_is_sha256_of_name_newline_type_and_key(key: SigningKey) -> None:
    from hashlib import sha256

    expected = sha256(ORIGIN.encode() + b"\n\x01" + key.public.raw).digest()[:4]
    assert note_key_hash(ORIGIN, key.public) == expected


def test_open_checkpoint_round_trips(key: SigningKey) -> None:
    checkpoint = Checkpoint(ORIGIN, 12, bytes(range(32)))
    assert open_checkpoint(checkpoint.sign(key), ORIGIN, key.public) == checkpoint


def test_changed_size_breaks_the_signature(key: SigningKey) -> None:
    note = Checkpoint(ORIGIN, 12, bytes(32)).sign(key).replace("\n12\n", "\n13\n")
    with pytest.raises(SignatureError):
        open_checkpoint(note, ORIGIN, key.public)


def test_signature_by_another_key_is_not_accepted(key: SigningKey) -> None:
    note = Checkpoint(ORIGIN, 1, bytes(32)).sign(SigningKey.generate("x"))
    with pytest.raises(CheckpointError, match="no signature by the log key"):
        open_checkpoint(note, ORIGIN, key.public)


def test_notes_with_extra_unknown_signatures_still_verify(key: SigningKey) -> None:
    other = SigningKey.generate("witness")
    note = sign_note("hello\n", ORIGIN, key)
    cosigned = note + sign_note("hello\n", "witness.example", other).split("\n\n")[1]
    assert open_note(cosigned, ORIGIN, key.public) == "hello\n"


def test_wrong_origin_is_refused(key: SigningKey) -> None:
    note = Checkpoint("elsewhere", 1, bytes(32)).sign(key)
    with pytest.raises(CheckpointError):
        open_checkpoint(note, ORIGIN, key.public)


def test_verifier_key_round_trips(key: SigningKey) -> None:
    text = verifier_key(ORIGIN, key.public)
    assert parse_verifier_key(text) == (ORIGIN, key.public)
    _, hash_hex, _ = text.split("+", 2)
    broken = text.replace(hash_hex, f"{int(hash_hex, 16) ^ 1:08x}")
    with pytest.raises(CheckpointError):
        parse_verifier_key(broken)
