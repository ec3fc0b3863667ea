"""lineage: a signed, append-only, verifiable ledger of where AI training data came from.

The supported API is what this module exports (``__all__``); everything else is an
implementation detail that may change between versions. A pipeline emits lineage with
:class:`Lineage`; an auditor opens a :class:`Ledger`, verifies it with
:func:`verify_ledger`, and asks :class:`Trace`, :func:`path`, :func:`impact`,
:func:`show`, :func:`remediation_plan` and :func:`check`; a privacy team uses
:func:`impact`, :func:`erase_author`, :func:`receipts` and :func:`receipt_by_id`.
Evidence leaves as bundles (:func:`path_bundle`, :func:`check_bundle`,
:func:`receipts_bundle`) that :func:`verify_bundle` checks offline, after
:func:`read_bundle`. Every error lineage raises on purpose is a :class:`LineageError`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from lineage.crypto.keys import KeyDirectory, PublicKey, SigningKey
from lineage.errors import (
    AuthorizationError,
    CheckpointError,
    ConfigurationError,
    InputError,
    LineageError,
    NodeConflictError,
    OutOfRangeError,
    ProofError,
    ProofLengthError,
    RootMismatchError,
    SignatureError,
    StoreError,
    VerificationError,
)
from lineage.evidence.build import check_bundle, path_bundle, receipts_bundle
from lineage.evidence.format import read_bundle
from lineage.evidence.verify import BundleResult, verify_bundle
from lineage.ingest.events import ingest as ingest_events
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.copy import copy_ledger
from lineage.ledger.erasure import Receipt, erase_author, receipt_by_id, receipts
from lineage.ledger.evidence import ConsistencyProof, InclusionProof, LogEntry
from lineage.ledger.log import AppendResult, Ledger
from lineage.ledger.verify import Problem, ProblemKind, VerifyReport, verify_ledger
from lineage.policy.check import CheckReport, check
from lineage.policy.document import Policy, read_policy
from lineage.policy.registry import register_policy
from lineage.query.impact import Impact, impact
from lineage.query.plan import Plan, remediation_plan
from lineage.query.resolve import resolve
from lineage.query.show import Shown, show
from lineage.query.trace import Trace, TraceSummary, path
from lineage.store import open_store
from lineage.store.base import Store

try:
    __version__ = version("lineage")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AppendResult",
    "AuthorizationError",
    "BundleResult",
    "CheckReport",
    "CheckpointError",
    "ConfigurationError",
    "ConsistencyProof",
    "Impact",
    "InclusionProof",
    "InputError",
    "KeyDirectory",
    "Ledger",
    "Lineage",
    "LineageError",
    "LogEntry",
    "NodeConflictError",
    "OutOfRangeError",
    "Plan",
    "Policy",
    "Problem",
    "ProblemKind",
    "ProofError",
    "ProofLengthError",
    "PublicKey",
    "Receipt",
    "Ref",
    "RootMismatchError",
    "Shown",
    "SignatureError",
    "SigningKey",
    "Store",
    "StoreError",
    "Trace",
    "TraceSummary",
    "VerificationError",
    "VerifyReport",
    "__version__",
    "check",
    "check_bundle",
    "copy_ledger",
    "erase_author",
    "impact",
    "ingest_events",
    "open_store",
    "path",
    "path_bundle",
    "read_bundle",
    "read_policy",
    "receipt_by_id",
    "receipts",
    "receipts_bundle",
    "register_policy",
    "remediation_plan",
    "resolve",
    "show",
    "verify_bundle",
    "verify_ledger",
]
