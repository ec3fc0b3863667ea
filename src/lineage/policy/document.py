"""Policy files: TOML documents of CEL rules, validated and compiled before anything runs.

::

    [policy]
    id = "public-content-training"
    version = "2024.06"
    effective_from = 2024-06-26T00:00:00Z
    description = "…"

    [params]
    excluded_surfaces = ["message", "story"]

    [[rules]]
    id = "public-only"
    implements = "Only public content is used: no friends-only or private items."
    expr = 'post.visibility == "public"'

A rule passes when its expression is true. ``level = "notice"`` marks a rule whose
failures are reported but do not fail the check. Rule attributes are documented in
:mod:`lineage.policy.cel_env`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from lineage.errors import InputError
from lineage.model.times import format_time

MAX_POLICY_BYTES = 1 << 20
MAX_RULES = 200
MAX_EXPR = 4000
LEVELS = ("violation", "notice")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_POLICY_KEYS = {"id", "version", "effective_from", "effective_until", "description"}
_RULE_KEYS = {"id", "implements", "expr", "level"}


@dataclass(frozen=True)
class Rule:
    """One rule of a policy: its id, what it implements, its CEL expression and level."""

    id: str
    implements: str
    expr: str
    level: str


@dataclass(frozen=True)
class Policy:
    """A parsed policy file: id, version, effective period, parameters and rules."""

    id: str
    version: str
    effective_from: datetime
    effective_until: datetime | None
    description: str
    params: dict[str, Any]
    rules: tuple[Rule, ...]
    sha256: str
    """SHA-256 of the file's bytes: what registration and checks name."""
    source: str
    document: bytes = field(default=b"", repr=False, compare=False)
    """The file's bytes (registration keeps them in the ledger)."""

    def in_effect(self, at: datetime) -> bool:
        """Whether the policy is in effect at time ``at``."""
        return self.effective_from <= at and (
            self.effective_until is None or at < self.effective_until
        )

    def to_json(self) -> dict[str, Any]:
        """The policy's id, version, SHA-256 and effective period as a JSON object."""
        return {
            "id": self.id,
            "version": self.version,
            "sha256": self.sha256,
            "effective_from": format_time(self.effective_from),
            "effective_until": format_time(self.effective_until) if self.effective_until else None,
        }


def _text(table: dict[str, Any], key: str, where: str, limit: int, required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        need = "a non-empty string" if required else "a string"
        raise InputError(f"{where}: {key} must be {need} of at most {limit} characters")
    return value


def _time(table: dict[str, Any], key: str, where: str) -> datetime | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InputError(
            f"{where}: {key} must be a TOML date-time with a time zone (e.g. 2024-06-14T00:00:00Z)"
        )
    return value


def _check_params(value: Any, where: str) -> None:
    """Parameters are TOML values; date-times among them need a zone."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_params(item, f"{where}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _check_params(item, f"{where}[{position}]")
    elif isinstance(value, datetime) and value.tzinfo is None:
        raise InputError(f"{where}: a date-time needs a time zone (add Z for UTC)")
    elif not isinstance(value, datetime | str | int | float | bool):
        raise InputError(f"{where}: dates without a time are not supported; give a date-time")


def _rule(raw: object, position: int, source: str) -> Rule:
    where = f"{source}: rules[{position}]"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: must be a table")
    rule_id = _text(raw, "id", where, 100)
    if not _ID.match(rule_id):
        raise InputError(f"{where}: id {rule_id!r} may use letters, digits, '.', '_' and '-'")
    where = f"{source}: rule {rule_id!r}"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise InputError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    level = raw.get("level", "violation")
    if level not in LEVELS:
        raise InputError(f"{where}: level must be one of {', '.join(LEVELS)}")
    return Rule(
        rule_id,
        _text(raw, "implements", where, 1000),
        _text(raw, "expr", where, MAX_EXPR),
        level,
    )


def parse_policy(data: bytes, source: str) -> Policy:
    """Validate a policy document (without compiling its rules: see :func:`load_policy`)."""
    if len(data) > MAX_POLICY_BYTES:
        raise InputError(f"{source}: a policy file may hold at most {MAX_POLICY_BYTES} bytes")
    try:
        document = tomllib.loads(data.decode())
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from exc
    unknown = set(document) - {"policy", "params", "rules"}
    if unknown:
        raise InputError(f"{source}: unknown table {sorted(unknown)[0]!r}")
    head = document.get("policy")
    if not isinstance(head, dict):
        raise InputError(f"{source}: needs a [policy] table with id, version, effective_from")
    where = f"{source}: [policy]"
    if set(head) - _POLICY_KEYS:
        raise InputError(f"{where}: unknown key {sorted(set(head) - _POLICY_KEYS)[0]!r}")
    policy_id = _text(head, "id", where, 100)
    if not _ID.match(policy_id):
        raise InputError(f"{where}: id may use letters, digits, '.', '_' and '-'")
    version = _text(head, "version", where, 100)
    if not _ID.match(version):
        raise InputError(f"{where}: version may use letters, digits, '.', '_' and '-'")
    start = _time(head, "effective_from", where)
    if start is None:
        raise InputError(f"{where}: effective_from is required")
    end = _time(head, "effective_until", where)
    if end is not None and end <= start:
        raise InputError(f"{where}: effective_until must be after effective_from")
    params = document.get("params", {})
    if not isinstance(params, dict):
        raise InputError(f"{source}: [params] must be a table")
    _check_params(params, f"{source}: params")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not 1 <= len(raw_rules) <= MAX_RULES:
        raise InputError(f"{source}: needs 1-{MAX_RULES} [[rules]]")
    rules = tuple(_rule(raw, n, source) for n, raw in enumerate(raw_rules))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise InputError(f"{source}: rule {rule.id!r} is defined twice")
        seen.add(rule.id)
    return Policy(
        policy_id,
        version,
        start,
        end,
        _text(head, "description", where, 4000, required=False),
        params,
        rules,
        hashlib.sha256(data).hexdigest(),
        source,
        data,
    )


def read_policy(path: Path) -> Policy:
    """Read and parse the policy file at ``path``; raise InputError if it is invalid."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read policy {path}: {exc.strerror}") from exc
    return parse_policy(data, str(path))


def plain_json(value: Any) -> Any:
    """A policy parameter as JSON holds it (TOML dates and times in RFC 3339)."""
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_json(item) for item in value]
    if isinstance(value, datetime) and value.tzinfo is not None:
        return format_time(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value
