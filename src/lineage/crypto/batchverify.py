"""Ed25519 verification of many signatures at once, on several threads.

The ``cryptography`` package releases the GIL while it verifies, so a batch split
over a few threads runs on every core. ``LINEAGE_VERIFY_THREADS`` sets the
thread count (default: the number of CPUs, at most 8; 1 disables threading).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from lineage.crypto.keys import PublicKey
from lineage.errors import SignatureError

THREADS_ENV = "LINEAGE_VERIFY_THREADS"
_MIN_PER_THREAD = 64

SignedMessage = tuple[PublicKey, bytes, bytes]
"""(public key, signature, message)."""


def thread_count() -> int:
    """Threads to verify on: LINEAGE_VERIFY_THREADS (at most 64), else the CPUs (at most 8)."""
    configured = os.environ.get(THREADS_ENV, "")
    if configured.isdigit() and int(configured) > 0:
        return min(int(configured), 64)
    return max(1, min(os.cpu_count() or 1, 8))


@cache
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="lineage-verify")


def _first_failure(items: Sequence[SignedMessage], start: int, end: int) -> int | None:
    for position in range(start, end):
        key, signature, message = items[position]
        try:
            key.verify(signature, message)
        except SignatureError:
            return position
    return None


def first_invalid(items: Sequence[SignedMessage]) -> int | None:
    """The position of the first signature in ``items`` that does not verify, or None."""
    threads = min(thread_count(), max(1, len(items) // _MIN_PER_THREAD))
    if threads == 1:
        return _first_failure(items, 0, len(items))
    step = -(-len(items) // threads)
    bounds = [(s, min(s + step, len(items))) for s in range(0, len(items), step)]
    results = _pool(threads).map(lambda b: _first_failure(items, b[0], b[1]), bounds)
    failures = [r for r in results if r is not None]
    return min(failures) if failures else None
