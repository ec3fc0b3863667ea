"""``lineage monitor URL --state FILE``: follow a published log from its tiles alone.

Each run fetches the log's checkpoint and verifies it with the log key kept in the state
(and, with a witness policy, its cosignatures); then fetches the entry bundles of every
entry since the kept checkpoint, appends their leaf hashes to the kept right border of
the tree and requires the root to be the checkpoint's: the new tree extends the kept
one (consistency) and holds exactly these entries (inclusion). Every new entry must be
a statement signed by a key the log's own key statements authorise for its step at its
time, replayed from entry 0. Only then is the state replaced (atomically).

What the monitor cannot see: the edge batches beside Lineage/v2 entries (they are not
published as tiles), so it checks who signed which batch root, not the edges.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lineage.crypto.cosignature import Cosignature, WitnessPolicy
from lineage.crypto.dsse import parse_envelope
from lineage.crypto.encoding import from_b64
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.note import Checkpoint, open_checkpoint, parse_verifier_key, verifier_key
from lineage.errors import InputError, LineageError, VerificationError
from lineage.ledger.trust import TrustState, is_key_statement
from lineage.model.statement import parse_statement
from lineage.transparency.tiles import ENTRIES, TILE_WIDTH, Tile, read_bundle

MAX_RESOURCE_BYTES = 64 * 1024 * 1024
MAX_STATE_BYTES = 64 * 1024 * 1024
Progress = Callable[[int], None]


class InconsistencyError(VerificationError):
    """The published log contradicts what the monitor verified before, or itself."""


@dataclass
class MonitorState:
    """What the monitor keeps between runs."""

    url: str
    log_key: str
    size: int = 0
    border: list[bytes] = field(default_factory=list)
    checkpoint: str = ""
    key_entries: list[tuple[int, bytes]] = field(default_factory=list)
    """The key registrations and revocations seen so far, to replay who may sign."""

    def to_json(self) -> dict[str, object]:
        """The state as stored."""
        return {
            "url": self.url,
            "log_key": self.log_key,
            "size": self.size,
            "border": [base64.b64encode(h).decode() for h in self.border],
            "checkpoint": self.checkpoint,
            "key_entries": [[i, base64.b64encode(e).decode()] for i, e in self.key_entries],
        }

    @classmethod
    def load(cls, path: Path) -> MonitorState:
        """Read a state file; :class:`InputError` names what is wrong with it."""
        try:
            if path.stat().st_size > MAX_STATE_BYTES:
                raise InputError("is too large", location=str(path))
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                url=str(raw["url"]),
                log_key=str(raw["log_key"]),
                size=int(raw["size"]),
                border=[from_b64(h, "border") for h in raw["border"]],
                checkpoint=str(raw["checkpoint"]),
                key_entries=[(int(i), from_b64(e, "key_entries")) for i, e in raw["key_entries"]],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a monitor state file ({exc})", location=str(path)) from exc

    def save(self, path: Path) -> None:
        """Replace the state file atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".monitor-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.to_json(), handle, indent=1)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


@dataclass(frozen=True)
class MonitorResult:
    """One run: the sizes before and after, entries verified, cosignatures counted."""

    origin: str
    old_size: int
    size: int
    entries_verified: int
    cosignatures: list[Cosignature]

    def to_json(self) -> dict[str, object]:
        """The result as JSON."""
        return {
            "origin": self.origin,
            "old_size": self.old_size,
            "size": self.size,
            "entries_verified": self.entries_verified,
            "cosignatures": [
                {"witness": c.witness, "timestamp": c.timestamp} for c in self.cosignatures
            ],
            "ok": True,
        }


def fetch(url: str, timeout: float = 30.0) -> bytes:
    """GET ``url`` (gzip accepted), at most MAX_RESOURCE_BYTES; InputError if it fails."""
    request = urllib.request.Request(  # noqa: S310 (the prefix is http(s), checked in new_state)
        url, headers={"Accept-Encoding": "gzip, identity", "User-Agent": "lineage-monitor"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body: bytes = response.read(MAX_RESOURCE_BYTES + 1)
            if len(body) > MAX_RESOURCE_BYTES:
                raise InputError(f"{url}: larger than {MAX_RESOURCE_BYTES} bytes")
            if response.headers.get("Content-Encoding") == "gzip":
                body = _gunzip(body)
            return body
    except urllib.error.HTTPError as exc:
        raise InputError(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"{url}: {getattr(exc, 'reason', exc)}") from exc


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    plain = inflater.decompress(body, MAX_RESOURCE_BYTES + 1)
    if len(plain) > MAX_RESOURCE_BYTES or not inflater.eof:
        raise InputError(f"a gzip body larger than {MAX_RESOURCE_BYTES} bytes, or truncated")
    return plain


def monitor_once(
    state: MonitorState, policy: WitnessPolicy | None = None, progress: Progress | None = None
) -> tuple[MonitorState, MonitorResult]:
    """Verify the published log against ``state``; the new state and what was checked.
    :class:`InconsistencyError` on any contradiction (nothing is kept then)."""
    origin, public = parse_verifier_key(state.log_key)
    prefix = state.url.rstrip("/")
    note = fetch(f"{prefix}/checkpoint").decode("utf-8", "replace")
    try:
        checkpoint = open_checkpoint(note, origin, public)
    except LineageError as exc:
        raise InconsistencyError(f"checkpoint: {exc}") from exc
    counted = policy.check(note) if policy is not None else []
    _check_not_rolled_back(state, checkpoint)
    tree = CompactRange(state.size, state.border)
    trust = _replayed_trust(state.key_entries)
    key_entries = list(state.key_entries)
    verified = 0
    for index, entry in _entries(prefix, state.size, checkpoint.size):
        tree.append(leaf_hash(entry))
        if _verify_entry(index, entry, trust):
            key_entries.append((index, entry))
        verified += 1
        if progress and verified % TILE_WIDTH == 0:
            progress(TILE_WIDTH)
    if tree.root() != checkpoint.root:
        raise InconsistencyError(
            f"the entries published for sizes {state.size}-{checkpoint.size} and the kept"
            f" tree of {state.size} do not hash to the checkpoint's root: the log is not"
            " an append-only extension of what was verified before"
        )
    border = tree.border()
    new_state = MonitorState(prefix, state.log_key, checkpoint.size, border, note, key_entries)
    result = MonitorResult(origin, state.size, checkpoint.size, verified, counted)
    return new_state, result


def _check_not_rolled_back(state: MonitorState, checkpoint: Checkpoint) -> None:
    if checkpoint.size < state.size:
        raise InconsistencyError(
            f"rollback: the log now has {checkpoint.size} entries; it had {state.size}"
        )
    if checkpoint.size == state.size and state.checkpoint:
        kept = open_checkpoint(
            state.checkpoint, checkpoint.origin, parse_verifier_key(state.log_key)[1]
        )
        if kept.root != checkpoint.root:
            raise InconsistencyError(
                f"split view: two checkpoints of size {checkpoint.size} with different roots"
            )


def _replayed_trust(key_entries: list[tuple[int, bytes]]) -> TrustState:
    trust = TrustState()
    for index, entry in key_entries:
        statement = parse_statement(parse_envelope(entry).payload)
        trust.apply(statement, index)
    return trust


def _verify_entry(index: int, entry: bytes, trust: TrustState) -> bool:
    """Check one entry's form, signer's authorisation and signature; True if it is a
    key statement (which changes who may sign what follows)."""
    try:
        envelope = parse_envelope(entry)
        statement = parse_statement(envelope.payload)
        signer = trust.authorize(envelope.keyid, statement, index)
        envelope.verify(signer.public_key)
        if is_key_statement(statement):
            trust.apply(statement, index)
            return True
    except LineageError as exc:
        raise InconsistencyError(f"entry {index}: {exc}") from exc
    return False


def _entries(prefix: str, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(index, entry) for every entry in ``[start, end)``, from the entry bundles."""
    for bundle in range(start // TILE_WIDTH, -(-end // TILE_WIDTH)):
        width = min(TILE_WIDTH, end - bundle * TILE_WIDTH)
        tile = Tile(ENTRIES, bundle, width)
        data = fetch(f"{prefix}/{tile.path()}")
        try:
            entries = read_bundle(data, width)
        except InputError as exc:
            raise InconsistencyError(f"{tile.path()}: {exc}") from exc
        first = bundle * TILE_WIDTH
        for offset, entry in enumerate(entries):
            if first + offset >= start:
                yield first + offset, entry


def new_state(url: str, log_key: str) -> MonitorState:
    """The state of a monitor that has verified nothing yet (the log key checked)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise InputError(f"{url[:80]!r} is not an http:// or https:// URL")
    try:
        name, public = parse_verifier_key(log_key)
    except LineageError as exc:
        raise InputError(str(exc), field="--log-key") from exc
    return MonitorState(url.rstrip("/"), verifier_key(name, public))
