"""Appending in a second process, so that a pipeline's Python work and the ledger's
validation and writes run on two cores.

The pipeline process sends each batch (its signed envelopes and the subject keys they
need) over a pipe; the append process appends it exactly as an in-process append
would (signatures, authorisation, projection of the signed payloads, one transaction
with its checkpoint), in the order sent, and acknowledges it. Both processes are this
library; ``verify`` recomputes everything from the stored entries. At most two batches are in
flight. The first refusal is raised in the pipeline at its next send, wait or close,
as the same error class with the same message and location; nothing after it is
appended.
"""

from __future__ import annotations

import multiprocessing
import pickle
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from lineage import errors
from lineage.crypto.keys import KeyDirectory
from lineage.errors import LineageError, StoreError
from lineage.ledger.admission import Located
from lineage.model.identity import PendingIdentities, Subject

MAX_IN_FLIGHT = 2


@dataclass(frozen=True)
class _Batch:
    entries: list[Located]
    subjects: list[tuple[bytes, bytes]]
    bindings: list[tuple[bytes, bytes]]
    sealed: list[tuple[bytes, bytes, bytes]]


def _error_message(exc: BaseException) -> tuple[str, str, str, str]:
    if isinstance(exc, errors.InputError):
        return type(exc).__name__, exc.problem, exc.location, exc.field
    return type(exc).__name__, str(exc), "", ""


def _rebuild_error(name: str, message: str, location: str, field: str) -> LineageError:
    kind = getattr(errors, name, None)
    if isinstance(kind, type) and issubclass(kind, errors.InputError):
        return kind(message, location=location, field=field)
    if isinstance(kind, type) and issubclass(kind, LineageError):
        return kind(message)
    return StoreError(f"the append process failed: {name}: {message}")


def _worker(conn: Connection, url: str, keys_dir: str, log_key_name: str) -> None:
    from lineage.ledger.log import Ledger

    ledger = Ledger.open(url)
    log_key = KeyDirectory(Path(keys_dir)).load(log_key_name)
    failed = False
    try:
        while True:
            message = conn.recv_bytes()
            if message == b"stop":
                return
            if failed:
                conn.send(("skipped",))
                continue
            try:
                batch: _Batch = pickle.loads(message)  # noqa: S301 - from our own parent
                subjects = [Subject(lookup, key) for lookup, key in batch.subjects]
                pending = PendingIdentities(subjects, batch.bindings, batch.sealed)
                added = ledger.append(batch.entries, log_key, identities=pending).added
                conn.send(("ok", added))
            except Exception as exc:  # reported to the pipeline process
                failed = True
                conn.send(("error", *_error_message(exc)))
    finally:
        ledger.close()
        conn.close()


class ProcessAppender:
    """The pipeline's side: sends batches, collects acknowledgements."""

    def __init__(self, url: str, keys_dir: Path, log_key_name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_worker,
            args=(child, url, str(keys_dir), log_key_name),
            name="lineage-append",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._in_flight: list[PendingIdentities | None] = []
        self.appended = 0
        self.confirmed: list[PendingIdentities] = []
        self._error: LineageError | None = None

    def _receive(self) -> None:
        try:
            reply: Any = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise StoreError("the append process ended unexpectedly") from exc
        identities = self._in_flight.pop(0)
        if reply[0] == "ok":
            self.appended += reply[1]
            if identities is not None:
                self.confirmed.append(identities)
        elif reply[0] == "error" and self._error is None:
            self._error = _rebuild_error(*reply[1:])

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, entries: list[Located], identities: PendingIdentities | None) -> None:
        """Send a batch to the append process; raise the first refusal it reported so far."""
        while self._conn.poll() or len(self._in_flight) >= MAX_IN_FLIGHT:
            self._receive()
        self._raise_error()
        subjects = [(s.lookup, s.key) for s in identities.subjects] if identities else []
        batch = _Batch(
            entries,
            subjects,
            identities.bindings if identities else [],
            identities.sealed if identities else [],
        )
        self._in_flight.append(identities)
        try:
            self._conn.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            raise StoreError("the append process ended unexpectedly") from exc

    def wait(self) -> None:
        """Wait until every batch sent is acknowledged; raise the first refusal, if any."""
        while self._in_flight:
            self._receive()
        self._raise_error()

    def close(self) -> None:
        """Stop the append process (killing it if it does not exit) and close the pipe."""
        try:
            self._conn.send_bytes(b"stop")
            self._process.join(timeout=60)
        except OSError:
            pass
        finally:
            if self._process.is_alive():
                self._process.kill()
            self._conn.close()
