"""The bundle document's shape (``docs/bundle.md``): what must be present, and of what
JSON type, for a bundle to be readable at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.crypto.canonical import parse_json
from lineage.crypto.encoding import from_b64
from lineage.crypto.merkle.hasher import HASH_SIZE
from lineage.errors import InputError

BUNDLE_MEDIA_TYPE = "application/vnd.lineage.bundle+json"
BUNDLE_VERSION = 1
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_PROOF_HASHES = 64
_TOP = {
    "mediaType",
    "version",
    "claim",
    "log",
    "entries",
    "items",
    "consistency",
    "policy",
    "batches",
}


@dataclass(frozen=True)
class BundleEntry:
    """A log entry of the bundle: its index, bytes and inclusion proof, in base64 as
    written (decoding them is a check of its own: a bad one fails that check)."""

    index: int
    body: str
    inclusion: list[str]


@dataclass(frozen=True)
class BundleItem:
    """A disclosed batch item: its entry, position, exact text and batch path (base64)."""

    entry: int
    position: int
    text: bytes
    path: list[str]


@dataclass(frozen=True)
class FullBatch:
    """Every item of an entry's batch, in order (complete check bundles)."""

    entry: int
    items: list[bytes]


@dataclass(frozen=True)
class PolicyEvidence:
    """A check bundle's policy file (base64, as written) and its registration entry."""

    document: str
    registration: int


@dataclass(frozen=True)
class Bundle:
    """A parsed bundle (members checked for presence and type only)."""

    claim: dict[str, Any]
    origin: str
    verifier_key: str
    checkpoint: str
    entries: list[BundleEntry]
    items: list[BundleItem]
    consistency: tuple[str, list[str]] | None
    policy: PolicyEvidence | None = None
    batches: tuple[FullBatch, ...] = ()


def _member(raw: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = raw.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"{where}.{name} is missing or not a {kind.__name__}")
    return value


def _objects(values: list[Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    """The members of a list of objects, each with where it is (``name[n]``)."""
    for n, value in enumerate(values):
        if not isinstance(value, dict):
            raise InputError(f"{name}[{n}] is not an object")
    return [(f"{name}[{n}]", value) for n, value in enumerate(values)]


def _index(raw: dict[str, Any], name: str, where: str) -> int:
    value: int = _member(raw, name, int, where)
    if value < 0:
        raise InputError(f"{where}.{name} is not a non-negative integer")
    return value


def _hashes(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise InputError(f"{where} must be a list of base64 strings")
    return value


def decode_hashes(values: list[str], what: str) -> list[bytes]:
    """The SHA-256 hashes of a proof; :class:`InputError` if too many or malformed."""
    if len(values) > MAX_PROOF_HASHES:
        raise InputError(f"{what} has more than {MAX_PROOF_HASHES} hashes")
    hashes = [from_b64(value, what) for value in values]
    if any(len(h) != HASH_SIZE for h in hashes):
        raise InputError(f"{what} holds a hash that is not {HASH_SIZE} bytes")
    return hashes


def read_bundle(data: bytes) -> Bundle:
    """Parse a bundle; :class:`InputError` if it is unreadable (not JSON, another media
    type or version, a member missing or of the wrong type)."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise InputError(f"the bundle is larger than {MAX_BUNDLE_BYTES} bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        raise InputError("the bundle starts with a byte-order mark: not plain UTF-8 JSON")
    raw = parse_json(data, "bundle")
    if not isinstance(raw, dict):
        raise InputError("a bundle is a JSON object")
    if raw.get("mediaType") != BUNDLE_MEDIA_TYPE:
        raise InputError(f"not a lineage bundle (mediaType is not {BUNDLE_MEDIA_TYPE})")
    if type(raw.get("version")) is not int or raw.get("version") != BUNDLE_VERSION:
        raise InputError(f"bundle version {str(raw.get('version'))[:20]}: this reads version 1")
    unknown = set(raw) - _TOP
    if unknown:
        raise InputError(f"unknown bundle member {sorted(unknown)[0][:40]!r}")
    if "policy" in raw and not isinstance(raw["policy"], dict):
        raise InputError("bundle.policy is not an object")
    claim = _member(raw, "claim", dict, "bundle")
    _member(claim, "kind", str, "claim")
    log = _member(raw, "log", dict, "bundle")
    entries = [
        BundleEntry(
            _index(entry, "index", where),
            _member(entry, "entry", str, where),
            _hashes(entry.get("inclusion"), f"{where}.inclusion"),
        )
        for where, entry in _objects(_member(raw, "entries", list, "bundle"), "entries")
    ]
    items = [
        BundleItem(
            _index(item, "entry", where),
            _index(item, "position", where),
            _member(item, "item", str, where).encode(),
            _hashes(item.get("path"), f"{where}.path"),
        )
        for where, item in _objects(_member(raw, "items", list, "bundle"), "items")
    ]
    consistency = None
    if "consistency" in raw:
        kept = _member(raw, "consistency", dict, "bundle")
        consistency = (
            _member(kept, "checkpoint", str, "consistency"),
            _hashes(kept.get("hashes"), "consistency.hashes"),
        )
    policy = None
    if "policy" in raw:
        evidence = _member(raw, "policy", dict, "bundle")
        policy = PolicyEvidence(
            _member(evidence, "document", str, "policy"),
            _index(evidence, "registration", "policy"),
        )
    batches = []
    listed = raw.get("batches", [])
    if not isinstance(listed, list):
        raise InputError("bundle.batches is not a list")
    for where, batch in _objects(listed, "batches"):
        texts = _member(batch, "items", list, where)
        if not all(isinstance(text, str) for text in texts):
            raise InputError(f"{where}.items must be a list of strings")
        batches.append(FullBatch(_index(batch, "entry", where), [t.encode() for t in texts]))
    return Bundle(
        claim,
        _member(log, "origin", str, "log"),
        _member(log, "verifierKey", str, "log"),
        _member(log, "checkpoint", str, "log"),
        entries,
        items,
        consistency,
        policy,
        tuple(batches),
    )
