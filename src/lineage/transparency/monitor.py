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

import json
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lineage.crypto.cosignature import Cosignature, WitnessPolicy
from lineage.crypto.dsse import parse_envelope
from lineage.crypto.encoding import b64, from_b64
from lineage.crypto.keys import PublicKey
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import HASH_SIZE, leaf_hash
from lineage.crypto.note import Checkpoint, open_checkpoint, parse_verifier_key, verifier_key
from lineage.errors import InputError, LineageError, VerificationError
from lineage.ledger.bounded_http import ExchangeError, exchange, is_http_url
from lineage.ledger.trust import TrustState, is_key_statement
from lineage.model.statement import parse_statement
from lineage.transparency.files import write_atomically
from lineage.transparency.tiles import ENTRIES, TILE_WIDTH, Tile, read_bundle

MAX_RESOURCE_BYTES = 64 * 1024 * 1024
MAX_STATE_BYTES = 64 * 1024 * 1024
FETCH_TIMEOUT = 60.0
Progress = Callable[[int], None]


class InconsistencyError(VerificationError):
    """The published log, signed by its key, contradicts what the monitor verified
    before, or itself."""


@dataclass
class MonitorState:
    """What the monitor keeps between runs."""

    url: str
    log_key: str
    size: int = 0
    border: list[bytes] = field(default_factory=list)
    """The right border of the verified tree: its complete subtrees' hashes."""
    tail: list[bytes] = field(default_factory=list)
    """The leaf hashes of the entries in the last, partial, entry bundle (size % 256):
    a later fetch of that bundle must still hold them."""
    checkpoint: str = ""
    key_entries: list[tuple[int, bytes]] = field(default_factory=list)
    """The key registrations and revocations seen so far, to replay who may sign."""

    def to_json(self) -> dict[str, object]:
        """The state as stored."""
        return {
            "url": self.url,
            "log_key": self.log_key,
            "size": self.size,
            "border": [b64(h) for h in self.border],
            "tail": [b64(h) for h in self.tail],
            "checkpoint": self.checkpoint,
            "key_entries": [[i, b64(e)] for i, e in self.key_entries],
        }

    @classmethod
    def load(cls, path: Path) -> MonitorState:
        """Read a state file and check it is one the monitor wrote; :class:`InputError`
        names what is wrong with it."""
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_STATE_BYTES + 1)
            if len(data) > MAX_STATE_BYTES:
                raise ValueError(f"larger than {MAX_STATE_BYTES} bytes")
            raw = json.loads(data)
            state = cls(
                url=_text(raw["url"]),
                log_key=_text(raw["log_key"]),
                size=_count(raw["size"]),
                border=[_hash(h) for h in raw["border"]],
                tail=[_hash(h) for h in raw["tail"]],
                checkpoint=_text(raw["checkpoint"]),
                key_entries=[
                    (_count(i), from_b64(_text(e), "key_entries")) for i, e in raw["key_entries"]
                ],
            )
            state.check()
        except (OSError, ValueError, KeyError, TypeError, RecursionError, LineageError) as exc:
            raise InputError(f"not a monitor state file ({exc})", location=str(path)) from exc
        return state

    def check(self) -> None:
        """Raise ValueError unless the parts of the state agree with each other."""
        CompactRange(self.size, self.border)
        if len(self.tail) != self.size % TILE_WIDTH:
            raise ValueError("the tail does not match the size")
        origin, public = parse_verifier_key(self.log_key)
        if self.size or self.checkpoint:
            kept = open_checkpoint(self.checkpoint, origin, public)
            if kept.size != self.size:
                raise ValueError("the kept checkpoint is not of the kept size")
        _replayed_trust(self.key_entries)

    def save(self, path: Path) -> None:
        """Replace the state file atomically."""
        write_atomically(path, json.dumps(self.to_json(), indent=1).encode())


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 48:
        raise TypeError("expected a count")
    return value


def _entry(value: object) -> bytes:
    return from_b64(_text(value), "key_entries")


def _hash(value: object) -> bytes:
    decoded = from_b64(_text(value), "hash")
    if len(decoded) != HASH_SIZE:
        raise ValueError("a hash is 32 bytes")
    return decoded


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
            "cosignatures": [c.to_json() for c in self.cosignatures],
            "ok": True,
        }


def fetch(url: str, timeout: float = FETCH_TIMEOUT) -> bytes:
    """GET ``url`` (gzip accepted): the whole 200 answer, at most MAX_RESOURCE_BYTES,
    within ``timeout`` seconds; :class:`InputError` otherwise (the log could not be read,
    which proves nothing about it)."""
    request = urllib.request.Request(  # noqa: S310 (the prefix is http(s), checked in new_state)
        url, headers={"Accept-Encoding": "gzip, identity", "User-Agent": "lineage-monitor"}
    )
    try:
        reply = exchange(request, timeout, MAX_RESOURCE_BYTES)
    except ExchangeError as exc:
        raise InputError(f"{url}: {exc}") from exc
    if reply.status != 200:
        raise InputError(f"{url}: HTTP {reply.status}")
    return reply.body


def monitor_once(
    state: MonitorState, policy: WitnessPolicy | None = None, progress: Progress | None = None
) -> tuple[MonitorState, MonitorResult]:
    """Verify the published log against ``state``; the new state and what was checked.
    :class:`InconsistencyError` on any contradiction signed by the log key;
    :class:`InputError` if the log cannot be read or its checkpoint is not one the log
    key signed (nothing is kept then)."""
    origin, public = parse_verifier_key(state.log_key)
    prefix = state.url.rstrip("/")
    note = fetch(f"{prefix}/checkpoint").decode("utf-8", "replace")
    try:
        checkpoint = open_checkpoint(note, origin, public)
    except LineageError as exc:
        raise InputError(
            f"{prefix}/checkpoint: not a checkpoint signed by the log key ({exc})"
        ) from exc
    counted = policy.check(note) if policy is not None else []
    _check_not_rolled_back(state, checkpoint, public)
    tree = CompactRange(state.size, state.border)
    trust = _replayed_trust(state.key_entries)
    key_entries = list(state.key_entries)
    tail = list(state.tail)
    verified = 0
    for index, entry in _entries(prefix, state.size, checkpoint.size):
        leaf = leaf_hash(entry)
        if index < state.size:
            if leaf != state.tail[index % TILE_WIDTH]:
                raise InconsistencyError(
                    f"entry {index} is not the one verified before (its entry bundle changed)"
                )
            continue
        tree.append(leaf)
        tail = [] if index % TILE_WIDTH == 0 else tail
        tail.append(leaf)
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
    tail = tail if checkpoint.size % TILE_WIDTH else []
    new_state = MonitorState(
        prefix, state.log_key, checkpoint.size, tree.border(), tail, note, key_entries
    )
    result = MonitorResult(origin, state.size, checkpoint.size, verified, counted)
    return new_state, result


def _check_not_rolled_back(state: MonitorState, checkpoint: Checkpoint, public: PublicKey) -> None:
    if checkpoint.size < state.size:
        raise InconsistencyError(
            f"rollback: the log now has {checkpoint.size} entries; it had {state.size}"
        )
    if checkpoint.size == state.size and state.checkpoint:
        kept = open_checkpoint(state.checkpoint, checkpoint.origin, public)
        if kept.root != checkpoint.root:
            raise InconsistencyError(
                f"split view: two checkpoints of size {checkpoint.size} with different roots"
            )


def _replayed_trust(key_entries: list[tuple[int, bytes]]) -> TrustState:
    trust = TrustState()
    for index, entry in key_entries:
        trust.apply(parse_statement(parse_envelope(entry).payload), index)
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
    """(index, entry) for every entry of the bundles covering ``[start, end)``, from the
    first entry of ``start``'s bundle (those before ``start`` are re-checked)."""
    for bundle in range(start // TILE_WIDTH, -(-end // TILE_WIDTH)):
        width = min(TILE_WIDTH, end - bundle * TILE_WIDTH)
        tile = Tile(ENTRIES, bundle, width)
        data = fetch(f"{prefix}/{tile.path()}")
        try:
            entries = read_bundle(data, width)
        except InputError as exc:
            raise InconsistencyError(f"{tile.path()}: {exc}") from exc
        yield from enumerate(entries, start=bundle * TILE_WIDTH)


def new_state(url: str, log_key: str) -> MonitorState:
    """The state of a monitor that has verified nothing yet (the log key checked)."""
    if not is_http_url(url):
        raise InputError(f"{url[:80]!r} is not an http:// or https:// URL")
    try:
        name, public = parse_verifier_key(log_key)
    except LineageError as exc:
        raise InputError(str(exc), field="--log-key") from exc
    return MonitorState(url.rstrip("/"), verifier_key(name, public))
