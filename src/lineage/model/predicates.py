"""The predicate types of lineage's statements: the only ones a ledger accepts.

Each is an in-toto predicate (``predicateType``) under ``https://lineage.dev/``; what a
predicate holds is defined where it is read (:mod:`lineage.model.graph` for lineage,
:mod:`lineage.model.requests` for requests, and so on).
"""

from __future__ import annotations

_BASE = "https://lineage.dev/"
LINEAGE = _BASE + "Lineage/v1"
"""A batch of graph nodes and edges made by one pipeline step, inside the statement."""
LINEAGE_V2 = _BASE + "Lineage/v2"
"""The same batch, committed to by a Merkle root; the items travel beside the envelope."""
REQUEST = _BASE + "Request/v1"
"""Deletion, objection and erasure requests, with when each person acted."""
REQUEST_V2 = _BASE + "Request/v2"
"""The same requests, committed to by a Merkle root; the items travel beside the envelope."""
KEY_REGISTRATION = _BASE + "KeyRegistration/v1"
KEY_REVOCATION = _BASE + "KeyRevocation/v1"
ERASURE = _BASE + "Erasure/v1"
"""That an erasure happened, and when (never whom)."""
POLICY_REGISTRATION = _BASE + "PolicyRegistration/v1"
CHECK_RESULT = _BASE + "CheckResult/v1"
"""The outcome of a compliance check, as a gate passed or failed."""
REVEAL = _BASE + "Reveal/v1"
"""That the raw platform ids behind some pseudonyms were revealed, why, and when (never
the raw ids)."""

KNOWN = frozenset(
    {
        LINEAGE,
        LINEAGE_V2,
        REQUEST,
        REQUEST_V2,
        KEY_REGISTRATION,
        KEY_REVOCATION,
        ERASURE,
        POLICY_REGISTRATION,
        CHECK_RESULT,
        REVEAL,
    }
)
