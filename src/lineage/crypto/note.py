"""C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint)."""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from hashlib import sha256

from lineage.crypto.keys import PublicKey, SigningKey
from lineage.errors import CheckpointError, SignatureError

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "
MAX_NOTE_BYTES = 64 * 1024


def note_key_hash(name: str, public: PublicKey) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    return sha256(name.encode() + b"\n" + ED25519_TYPE + public.raw).digest()[:4]


def verifier_key(name: str, public: PublicKey) -> str:
    """The ``name+hash+base64(type||key)`` verifier string other tools accept."""
    key_hash = struct.unpack(">I", note_key_hash(name, public))[0]
    return f"{name}+{key_hash:08x}+{base64.b64encode(ED25519_TYPE + public.raw).decode()}"


def parse_verifier_key(text: str) -> tuple[str, PublicKey]:
    """Parse a ``NAME+HASH+BASE64`` verifier key into its name and Ed25519 public key."""
    try:
        name, hash_hex, key_b64 = text.strip().split("+", 2)
        raw = base64.b64decode(key_b64, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise CheckpointError("verifier key must be NAME+HASH+BASE64") from exc
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 note key")
    public = PublicKey(raw[1:])
    if f"{struct.unpack('>I', note_key_hash(name, public))[0]:08x}" != hash_hex:
        raise CheckpointError("verifier key hash does not match its name and key")
    return name, public


def sign_note(text: str, name: str, key: SigningKey) -> str:
    """Sign note ``text`` (ending in a newline) as ``name``; return the signed note."""
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    signature = note_key_hash(name, key.public) + key.sign(text.encode())
    return f"{text}\n{signature_line(name, signature)}"


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text of ``note`` (ending in a newline) and its signature lines as (key name,
    key hash || signature), unverified; raise CheckpointError if it is not a signed note."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise CheckpointError("note is too large")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointError("note contains control characters")
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise CheckpointError("note has no signature block")
    signatures: list[tuple[str, bytes]] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError("malformed signature line in note")
        signer, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise CheckpointError("signature line is not base64") from exc
        if not signer or len(blob) < 4:
            raise CheckpointError("malformed signature line in note")
        signatures.append((signer, blob))
    return text + "\n", signatures


def signature_line(name: str, blob: bytes) -> str:
    """One note signature line (with its newline): ``— name base64(blob)``."""
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def with_signature_lines(note: str, lines: dict[str, str]) -> str:
    """``note`` with the signature ``lines`` (by signer name) added after its own; a
    signer's line already there is replaced. The signed text is unchanged."""
    text, _ = split_note(note)
    kept = [
        line + "\n"
        for line in note[len(text) + 1 :].splitlines()
        if line[len(SIGNATURE_PREFIX) :].rpartition(" ")[0] not in lines
    ]
    added = [lines[name] for name in sorted(lines)]
    return f"{text}\n{''.join(kept)}{''.join(added)}"


def open_note(note: str, name: str, public: PublicKey) -> str:
    """Return the text of ``note`` after verifying its signature by (name, public)."""
    text, signatures = split_note(note)
    wanted = note_key_hash(name, public)
    found = False
    for signer, blob in signatures:
        if signer != name or blob[:4] != wanted:
            continue
        found = True
        try:
            public.verify(blob[4:], text.encode())
        except SignatureError as exc:
            raise SignatureError(f"note signature by {name} does not verify") from exc
    if not found:
        raise CheckpointError(f"note carries no signature by the log key {name}")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A tlog checkpoint: the log's origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The checkpoint body: origin, size and base64 root, one per line."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    def sign(self, key: SigningKey) -> str:
        """The checkpoint as a note signed by ``key`` under the origin's name."""
        return sign_note(self.text(), self.origin, key)


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse an unsigned checkpoint body; raise CheckpointError if it is malformed."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("checkpoint must have origin, size and root lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise CheckpointError("checkpoint origin is empty")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("checkpoint root is not base64") from exc
    if len(root) != 32:
        raise CheckpointError(f"checkpoint root has {len(root)} bytes, expected 32")
    return Checkpoint(origin, int(size_text), root)


def open_checkpoint(note: str, origin: str, public: PublicKey) -> Checkpoint:
    """Verify a signed checkpoint note from the log ``origin`` and parse it."""
    checkpoint = parse_checkpoint_text(open_note(note, origin, public))
    if checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint
