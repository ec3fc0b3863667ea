"""in-toto Statement v1 (github.com/in-toto/attestation) as lineage uses it.

Every lineage predicate names the pipeline step that made it
(``predicate.step.name``, with optional ``version`` and ``run``) and the time it
claims (``predicate.time``, RFC 3339): key authorisation is checked against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.crypto.canonical import canonical_bytes, parse_canonical
from lineage.errors import InputError
from lineage.model.predicates import KNOWN
from lineage.model.times import format_time, parse_time

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
ADMIN_STEP = "lineage.admin"
MAX_NAME_LENGTH = 256
MAX_SUBJECTS = 1000
DIGEST_HEX_LENGTH = {
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "sha3_256": 64,
    "sha3_384": 96,
    "sha3_512": 128,
    "sha1": 40,
    "gitCommit": 40,
}
"""The in-toto digest algorithms lineage reads, with the length of their hex values."""
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Step:
    """A pipeline step as statements name it: name, optional version and run."""

    name: str
    version: str = ""
    run: str = ""

    def to_json(self) -> dict[str, str]:
        """The step as ``predicate.step`` JSON (empty version and run left out)."""
        out = {"name": self.name}
        if self.version:
            out["version"] = self.version
        if self.run:
            out["run"] = self.run
        return out


@dataclass(frozen=True)
class Statement:
    """A validated in-toto statement, with the step and time its predicate claims."""

    subjects: list[dict[str, Any]]
    predicate_type: str
    predicate: dict[str, Any]
    step: Step
    time: datetime

    def to_json(self) -> dict[str, Any]:
        """The statement as in-toto Statement v1 JSON."""
        return {
            "_type": STATEMENT_TYPE,
            "subject": self.subjects,
            "predicateType": self.predicate_type,
            "predicate": self.predicate,
        }

    def payload(self) -> bytes:
        """The RFC 8785 bytes that a DSSE signature covers."""
        return canonical_bytes(self.to_json())


def make_statement(
    subjects: list[dict[str, Any]],
    predicate_type: str,
    step: Step,
    time: datetime,
    fields: dict[str, Any],
) -> Statement:
    """Build and validate a statement of ``step`` at ``time`` with predicate ``fields``."""
    predicate = {"step": step.to_json(), "time": format_time(time), **fields}
    return statement_from_json(
        {
            "_type": STATEMENT_TYPE,
            "subject": subjects,
            "predicateType": predicate_type,
            "predicate": predicate,
        }
    )


def _string(value: object, field: str, limit: int = MAX_NAME_LENGTH) -> str:
    if not isinstance(value, str) or not value:
        raise InputError("must be a non-empty string", field=field)
    if len(value) > limit:
        raise InputError(f"is longer than {limit} characters", field=field)
    return value


def _subjects(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SUBJECTS:
        raise InputError(f"must be a list of 1-{MAX_SUBJECTS} subjects", field="subject")
    for position, subject in enumerate(value):
        where = f"subject[{position}]"
        if not isinstance(subject, dict):
            raise InputError("must be an object", field=where)
        _string(subject.get("name"), f"{where}.name", 1024)
        digest = subject.get("digest")
        if not isinstance(digest, dict) or not digest:
            raise InputError(
                "must be a non-empty object of algorithm to hex", field=f"{where}.digest"
            )
        for algorithm, hexvalue in digest.items():
            field = f"{where}.digest.{str(algorithm)[:40]}"
            length = DIGEST_HEX_LENGTH.get(algorithm)
            if length is None:
                known = ", ".join(DIGEST_HEX_LENGTH)
                raise InputError(f"unknown digest algorithm (known: {known})", field=field)
            if not isinstance(hexvalue, str) or len(hexvalue) != length:
                raise InputError(f"must be {length} lower-case hex characters", field=field)
            if not _HEX.issuperset(hexvalue):
                raise InputError("must be lower-case hex", field=field)
    return value


def _step(value: object) -> Step:
    if not isinstance(value, dict):
        raise InputError("must be an object with name, version and run", field="predicate.step")
    name = _string(value.get("name"), "predicate.step.name")
    version = value.get("version", "")
    run = value.get("run", "")
    if not isinstance(version, str) or not isinstance(run, str):
        raise InputError("version and run must be strings", field="predicate.step")
    return Step(
        name,
        _string(version, "predicate.step.version") if version else "",
        _string(run, "predicate.step.run") if run else "",
    )


def statement_from_json(raw: object) -> Statement:
    """Validate a parsed in-toto Statement v1 with a lineage predicate."""
    if not isinstance(raw, dict):
        raise InputError("a statement must be a JSON object")
    if raw.get("_type") != STATEMENT_TYPE:
        raise InputError(f"must be {STATEMENT_TYPE!r}", field="_type")
    predicate_type = _string(raw.get("predicateType"), "predicateType", 1024)
    if predicate_type not in KNOWN:
        raise InputError(
            f"{predicate_type[:100]!r} is not a lineage predicate type"
            f" ({', '.join(sorted(KNOWN))})",
            field="predicateType",
        )
    predicate = raw.get("predicate")
    if not isinstance(predicate, dict):
        raise InputError("must be an object", field="predicate")
    return Statement(
        subjects=_subjects(raw.get("subject")),
        predicate_type=predicate_type,
        predicate=predicate,
        step=_step(predicate.get("step")),
        time=parse_time(predicate.get("time"), "predicate.time"),
    )


def parse_statement(payload: bytes) -> Statement:
    """Parse and validate a DSSE payload as an in-toto statement; raise InputError if not.

    The payload must be exactly the RFC 8785 canonical form of the statement it holds,
    which also refuses duplicate keys (whichever one a reader kept, the canonical form
    differs), ``NaN``, integers outside ±(2**53-1), invalid Unicode and any other
    spacing or key order: every reader sees the same statement.
    """
    raw = parse_canonical(payload)
    return statement_from_json(raw)
