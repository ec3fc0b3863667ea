"""The log's side of c2sp.org/tlog-witness: one ``add-checkpoint`` request and its answer.

The request body is ``old <size>``, the consistency proof from that size (one base64
hash a line), an empty line and the signed checkpoint. A witness answers 200 with its
cosignature lines, 409 with the size it last cosigned (``text/x.tlog.size``), 403/404 for
a log or signature it does not accept, 422 for a proof that does not verify, 400 for a
malformed request.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from dataclasses import dataclass
from enum import StrEnum

from lineage.ledger.bounded_http import ExchangeError, exchange

MAX_RESPONSE_BYTES = 64 * 1024
MAX_PROOF_HASHES = 63
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class Outcome(StrEnum):
    """How a witness answered."""

    COSIGNED = "cosigned"
    CONFLICT = "conflict"
    """It last cosigned another size (the body names it)."""
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Answer:
    """A witness's answer: the outcome, the HTTP status (0 if none) and the body."""

    outcome: Outcome
    status: int
    body: str

    def known_size(self) -> int | None:
        """The size a 409 answer says the witness last cosigned."""
        text = self.body.strip()
        if self.outcome is not Outcome.CONFLICT or not _SIZE.fullmatch(text):
            return None
        return int(text)


def request_body(old_size: int, proof: list[bytes], note: str) -> bytes:
    """The ``add-checkpoint`` body for a checkpoint note and a proof from ``old_size``."""
    if len(proof) > MAX_PROOF_HASHES:
        raise ValueError(f"a consistency proof has at most {MAX_PROOF_HASHES} hashes")
    lines = [f"old {old_size}\n"] + [base64.b64encode(h).decode() + "\n" for h in proof]
    return ("".join(lines) + "\n" + note).encode()


def add_checkpoint(url: str, body: bytes, timeout: float) -> Answer:
    """POST ``body`` to ``<url>/add-checkpoint``; no complete answer within ``timeout``
    seconds (unreachable, too slow, too large, not HTTP) is UNREACHABLE."""
    request = urllib.request.Request(  # noqa: S310 (witness URLs are http(s), checked at add)
        url.rstrip("/") + "/add-checkpoint",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": "lineage"},
    )
    try:
        reply = exchange(request, timeout, MAX_RESPONSE_BYTES)
    except ExchangeError as exc:
        return Answer(Outcome.UNREACHABLE, 0, str(exc))
    text = reply.body.decode("utf-8", "replace")
    if reply.status == 200:
        return Answer(Outcome.COSIGNED, 200, text)
    return Answer(Outcome.CONFLICT if reply.status == 409 else Outcome.REFUSED, reply.status, text)
