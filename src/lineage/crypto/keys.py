"""Ed25519 keys: generation, PEM files (0600), key ids and C2SP verifier keys."""

from __future__ import annotations

import base64
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lineage.errors import ConfigurationError, InputError, SignatureError

PASSPHRASE_ENV = "LINEAGE_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
KEY_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
MAX_KEY_FILE_BYTES = 16 * 1024


def key_id(public_raw: bytes) -> str:
    """The key id used in DSSE envelopes: hex SHA-256 of the raw 32-byte public key."""
    return sha256(public_raw).hexdigest()


def check_key_name(name: str) -> str:
    """Return ``name`` if it is a valid key file name; raise InputError otherwise."""
    if not KEY_NAME_PATTERN.match(name):
        raise InputError(
            f"key name {name!r} must be 1-64 characters of letters, digits, '.', '_', '-'"
        )
    return name


@lru_cache(maxsize=1024)
def _load_public(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class PublicKey:
    """A raw 32-byte Ed25519 public key."""

    raw: bytes

    @property
    def keyid(self) -> str:
        """The key id of this key: hex SHA-256 of the raw public key."""
        return key_id(self.raw)

    def verify(self, signature: bytes, message: bytes) -> None:
        """Raise SignatureError unless ``signature`` is this key's signature of ``message``."""
        try:
            _load_public(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError) as exc:
            raise SignatureError("signature does not verify") from exc

    def b64(self) -> str:
        """The raw public key in base64."""
        return base64.b64encode(self.raw).decode()

    @classmethod
    def from_b64(cls, text: str, field: str = "public_key") -> PublicKey:
        """Parse a base64 32-byte public key; raise InputError (naming ``field``) if invalid."""
        try:
            raw = base64.b64decode(text, validate=True)
        except (ValueError, TypeError) as exc:
            raise InputError("not valid base64", field=field) from exc
        if len(raw) != 32:
            raise InputError(f"an Ed25519 public key has 32 bytes, got {len(raw)}", field=field)
        return cls(raw)


class SigningKey:
    """An Ed25519 private key with a name; never printed or logged."""

    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        self.name = name
        self._private = private
        self.public = PublicKey(
            private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    def __repr__(self) -> str:
        return f"SigningKey(name={self.name!r}, keyid={self.keyid[:16]}…)"

    @property
    def keyid(self) -> str:
        """The key id of the public half: hex SHA-256 of the raw public key."""
        return self.public.keyid

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message``."""
        return self._private.sign(message)

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        """A fresh random key called ``name``."""
        return cls(name, Ed25519PrivateKey.generate())

    def to_pem(self, passphrase: bytes | None) -> bytes:
        """The key as PKCS#8 PEM, encrypted if a passphrase is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    @classmethod
    def from_pem(cls, name: str, data: bytes, passphrase: bytes | None) -> SigningKey:
        """Load a PKCS#8 PEM Ed25519 key; raise ConfigurationError if it cannot be loaded."""
        try:
            key = serialization.load_pem_private_key(data, password=passphrase)
        except TypeError as exc:
            raise ConfigurationError(
                f"key {name!r}: encrypted; set {PASSPHRASE_ENV}"
                if passphrase is None
                else f"key {name!r}: not encrypted, unset {PASSPHRASE_ENV}"
            ) from exc
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ConfigurationError(
                f"key {name!r}: cannot be loaded (wrong passphrase or not a PKCS#8 PEM key)"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"key {name!r}: not an Ed25519 key")
        return cls(name, key)


def passphrase_from_env() -> bytes | None:
    """The key file passphrase from LINEAGE_KEY_PASSPHRASE, or None if unset; set but
    empty is an error (it would silently mean "unencrypted")."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value is None:
        return None
    if not value:
        raise ConfigurationError(
            f"{PASSPHRASE_ENV} is set but empty: give a passphrase, or unset it for"
            " unencrypted key files"
        )
    return value.encode()


def _private_mode(path: Path, what: str, allowed: int) -> None:
    """Refuse a key file or directory that others may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & ~allowed & 0o077:
        raise ConfigurationError(
            f"{what} {path} is open to other users (mode {mode:04o}): run chmod"
            f" {allowed & 0o700:o} {path}"
        )


class KeyDirectory:
    """Private keys as ``NAME.pem`` files in one directory, written 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def file_for(self, name: str) -> Path:
        """The path of key ``name``'s PEM file (the name is checked first)."""
        return self.path / f"{check_key_name(name)}.pem"

    def exists(self, name: str) -> bool:
        """Whether key ``name`` has a file in this directory."""
        return self.file_for(name).exists()

    def create(self, name: str) -> SigningKey:
        """Generate key ``name`` and write it 0600; raise InputError if it already exists."""
        target = self.file_for(name)
        if target.exists():
            raise InputError(f"key {name!r} already exists at {target}")
        key = SigningKey.generate(name)
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        _private_mode(self.path, "keys directory", 0o700)
        data = key.to_pem(passphrase_from_env())
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(target, 0o600)
        return key

    def load(self, name: str) -> SigningKey:
        """Read key ``name`` from its file; raise ConfigurationError if missing or unreadable."""
        target = self.file_for(name)
        try:
            if target.stat().st_size > MAX_KEY_FILE_BYTES:
                raise ConfigurationError(f"key file {target} is too large to be a key")
            _private_mode(self.path, "keys directory", 0o700)
            _private_mode(target, "key file", 0o600)
            data = target.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"no key {name!r} in {self.path.resolve()} (create it with: lineage keys new"
                f" {name} --keys-dir {self.path})"
            ) from exc
        return SigningKey.from_pem(name, data, passphrase_from_env())

    def load_public(self, name: str) -> PublicKey:
        """The public half of key ``name``."""
        return self.load(name).public


def load_public_key_file(path: Path) -> PublicKey:
    """A public key from a PEM file (SubjectPublicKeyInfo) or a PKCS#8 private key PEM."""
    try:
        data = path.read_bytes()[: MAX_KEY_FILE_BYTES + 1]
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from exc
    try:
        public = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        return SigningKey.from_pem(path.stem, data, passphrase_from_env()).public
    if not isinstance(public, Ed25519PublicKey):
        raise InputError(f"{path}: not an Ed25519 public key")
    return PublicKey(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
