"""in-toto Statement v1 (github.com/in-toto/attestation) as lineage uses it.

Every lineage predicate names the pipeline step that made it
(``predicate.step.name``, with optional ``version`` and ``run``) and the time it
claims (``predicate.time``, RFC 3339): key authorisation is checked against both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lineage.crypto.canonical import canonical_bytes
from lineage.errors import InputError
from lineage.model.times import format_time, parse_time

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
KEY_REGISTRATION = "https://lineage.dev/KeyRegistration/v1"
KEY_REVOCATION = "https://lineage.dev/KeyRevocation/v1"
ADMIN_STEP = "lineage.admin"
MAX_NAME_LENGTH = 256


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
    if not isinstance(value, list) or not value:
        raise InputError("must be a non-empty list", field="subject")
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
            text = _string(hexvalue, f"{where}.digest.{algorithm}", 512)
            if any(c not in "0123456789abcdef" for c in text):
                raise InputError("must be lower-case hex", field=f"{where}.digest.{algorithm}")
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
    """Parse and validate a DSSE payload as an in-toto statement; raise InputError if not."""
    try:
        raw = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError("payload is not a JSON statement", field="payload") from exc
    return statement_from_json(raw)
