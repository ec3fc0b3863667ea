"""The log's witnesses: who they are, what they last cosigned, and the cosignatures kept.

After each append (and on ``lineage witness sync``) the log sends every witness its new
checkpoint with a consistency proof from the size that witness last cosigned
(c2sp.org/tlog-witness), verifies the cosignature it returns and keeps it beside the
checkpoint. A witness that refuses is recorded with its reason; one that cannot be
reached keeps its last cosigned size and is tried again on the next sync. Nothing a
witness answers can block or undo an append.

The registry lives in the store's metadata (``witnesses``, JSON by name); the
cosignatures are added to the stored checkpoint note they sign, after the log's own
signature, so every reader of a checkpoint (``lineage checkpoint``, proofs, bundles,
tiles) gets them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from urllib.parse import urlsplit

from lineage.crypto.cosignature import MAX_WITNESSES, WitnessKey, cosignatures, parse_witness_key
from lineage.crypto.merkle.proof import consistency_proof
from lineage.crypto.note import split_note
from lineage.errors import InputError, LineageError
from lineage.ledger.bounded_http import is_http_url
from lineage.ledger.witness_protocol import Answer, Outcome, add_checkpoint, request_body
from lineage.model.times import format_time, now
from lineage.store.base import Store

WITNESSES_META = "witnesses"
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Witness:
    """A registered witness and the state of the log's exchanges with it."""

    name: str
    url: str
    vkey: str
    added: str
    size: int = 0
    """The tree size it last cosigned for this log (0: none yet)."""
    status: str = "new"
    """``new``, ``cosigned``, ``refused`` or ``unreachable`` (the last exchange)."""
    error: str | None = None
    attempted: str | None = None
    cosigned_at: str | None = None

    @property
    def key(self) -> WitnessKey:
        """Its cosigning key."""
        return parse_witness_key(self.vkey)

    def to_json(self) -> dict[str, object]:
        """The witness as stored and listed."""
        return asdict(self)


def _check_url(url: str) -> str:
    if not is_http_url(url):
        raise InputError(f"witness URL {url[:80]!r} must be an http:// or https:// URL")
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise InputError("a witness URL is a submission prefix, without query or fragment")
    return url.rstrip("/")


def load_witnesses(store: Store) -> dict[str, Witness]:
    """The registered witnesses by name."""
    return _parse(store.meta_value(WITNESSES_META))


def _parse(raw: str | None) -> dict[str, Witness]:
    if not raw:
        return {}
    return {name: Witness(**fields) for name, fields in json.loads(raw).items()}


def _save(
    store: Store, changes: Iterable[Witness], *, added: bool = False, removed: str | None = None
) -> None:
    """Merge ``changes`` into the stored registry in one transaction (a witness removed
    meanwhile stays removed, unless it is being ``added``)."""
    with store.append_session() as session:
        current = _parse(session.meta_value(WITNESSES_META))
        for witness in changes:
            if added or witness.name in current:
                current[witness.name] = witness
        if removed is not None:
            current.pop(removed, None)
        encoded = {name: w.to_json() for name, w in sorted(current.items())}
        session.put_meta(WITNESSES_META, json.dumps(encoded, sort_keys=True))


def add_witness(store: Store, name: str, url: str, vkey: str) -> Witness:
    """Register a witness; its verifier key's name must be ``name``."""
    key = parse_witness_key(vkey)
    if key.name != name:
        raise InputError(f"the verifier key is for witness {key.name!r}, not {name!r}")
    known = load_witnesses(store)
    if name in known:
        raise InputError(f"a witness named {name!r} is already registered (remove it first)")
    if len(known) >= MAX_WITNESSES:
        raise InputError(f"at most {MAX_WITNESSES} witnesses")
    witness = Witness(name, _check_url(url), key.vkey(), format_time(now()))
    _save(store, [witness], added=True)
    return witness


def remove_witness(store: Store, name: str) -> Witness:
    """Unregister a witness (its cosignatures already kept stay with their checkpoints)."""
    known = load_witnesses(store)
    if name not in known:
        raise InputError(f"no witness named {name!r}")
    _save(store, [], removed=name)
    return known[name]


def timeout() -> float:
    """Seconds to wait for a witness (``LINEAGE_WITNESS_TIMEOUT``, default 5)."""
    try:
        value = float(os.environ.get("LINEAGE_WITNESS_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return min(max(value, 0.1), 120.0)


def sync_witnesses(store: Store, names: Iterable[str] | None = None) -> list[Witness]:
    """Send the latest checkpoint to each witness (or those named); keep what they
    cosign; return every witness's state after the exchange."""
    known = load_witnesses(store)
    chosen = list(known) if names is None else list(names)
    for name in chosen:
        if name not in known:
            raise InputError(f"no witness named {name!r}")
    latest = store.latest_checkpoint()
    if latest is None or not chosen:
        return [known[name] for name in chosen]
    size, note = latest
    exchanges = [_exchange(store, known[name], size, note) for name in chosen]
    _save(store, [witness for witness, _ in exchanges])
    kept = {witness.name: line for witness, line in exchanges if line is not None}
    if kept:
        with store.append_session() as session:
            session.cosign_checkpoint(size, kept)
    return [witness for witness, _ in exchanges]


Exchange = tuple[Witness, str | None]
"""A witness's state after an exchange, and the cosignature line it returned, if any."""


def _exchange(store: Store, witness: Witness, size: int, note: str) -> Exchange:
    """One witness's exchange: at most two requests (the second after a 409 names the
    size it last cosigned)."""
    attempted = format_time(now())
    old = witness.size
    for _ in range(2):
        if old > size:
            reason = (
                f"the witness has cosigned a tree of {old} entries, this log has {size}:"
                " the log was rolled back, or this is a fork of the log it cosigned"
            )
            return _refused(witness, attempted, reason), None
        proof = consistency_proof(old, size, store.get_nodes) if 0 < old < size else []
        answer = add_checkpoint(witness.url, request_body(old, proof, note), timeout())
        if answer.outcome is Outcome.CONFLICT and answer.known_size() not in (None, old):
            old = answer.known_size() or 0
            continue
        return _settle(witness, attempted, size, note, old, answer)
    return _refused(witness, attempted, "the witness keeps naming another size (409)"), None


def _settle(
    witness: Witness, attempted: str, size: int, note: str, old: int, answer: Answer
) -> Exchange:
    if answer.outcome is Outcome.UNREACHABLE:
        error = f"unreachable: {answer.body}"[:300]
        return replace(witness, status="unreachable", error=error, attempted=attempted), None
    if answer.outcome is not Outcome.COSIGNED:
        return _refused(witness, attempted, _refusal(answer, old, size)), None
    try:
        line = _cosignature_line(witness, note, answer.body)
    except LineageError as exc:
        reason = f"its answer is not a valid cosignature: {exc}"
        return _refused(witness, attempted, reason), None
    cosigned = replace(
        witness,
        size=size,
        status="cosigned",
        error=None,
        attempted=attempted,
        cosigned_at=attempted,
    )
    return cosigned, line


def _refused(witness: Witness, attempted: str, reason: str) -> Witness:
    return replace(witness, status="refused", error=reason[:500], attempted=attempted)


def _refusal(answer: Answer, old: int, size: int) -> str:
    detail = answer.body.strip().splitlines()[0][:200] if answer.body.strip() else ""
    reasons = {
        400: "the witness found the request malformed",
        403: "the witness does not accept this log's checkpoint signature (is the log"
        " registered with it, with this origin and key?)",
        404: "the witness does not know this log's origin",
        409: f"the witness has cosigned another tree size ({answer.body.strip()[:20]})",
        422: f"the witness refused the consistency proof from {old} to {size} entries: this"
        " log does not extend the tree it cosigned (a fork or a rollback)",
    }
    reason = reasons.get(answer.status, f"the witness answered HTTP {answer.status}")
    return f"{reason} [HTTP {answer.status}: {detail}]" if detail else reason


def _cosignature_line(witness: Witness, note: str, body: str) -> str:
    """The witness's valid cosignature line from an add-checkpoint answer."""
    lines = [line + "\n" for line in body.splitlines() if line]
    key = witness.key
    for line in lines:
        if cosignatures(note + line, [key]):
            return line
    names = ", ".join(name for name, _ in split_note(note + "".join(lines))[1][1:]) or "none"
    raise InputError(f"no cosignature by {witness.name} among the lines returned ({names})")
