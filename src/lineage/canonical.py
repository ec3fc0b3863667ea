"""RFC 8785 canonical JSON, via the maintained ``rfc8785`` package.

Bytes that get signed or hashed are produced only here, and anything that
cannot be encoded exactly raises instead of being silently replaced.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from lineage.errors import InputError


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 encoding of ``value``; raises :class:`InputError` if it has none."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InputError(f"cannot be canonicalised (RFC 8785): {exc}") from exc


def parse_json(text: str | bytes, what: str = "JSON") -> Any:
    """Parse JSON, rejecting NaN/Infinity and duplicate keys; raises :class:`InputError`."""

    def no_constants(name: str) -> Any:
        raise InputError(f"{what}: {name} is not allowed")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"duplicate key {key!r}", field=key)
            out[key] = value
        return out

    try:
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid {what}: {exc.msg} at column {exc.colno}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid {what}: not UTF-8") from exc
