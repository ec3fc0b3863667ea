"""RFC 8785 canonical JSON, via the maintained ``rfc8785`` package.

Bytes that get signed or hashed are produced only here, and anything that
cannot be encoded exactly raises instead of being silently replaced.

Speed: ``rfc8785`` is pure Python. For the values lineage signs most (batches of
thousands of ids), a value made only of ASCII strings, integers within ±(2**53-1),
booleans, nulls, lists and objects is encoded by the standard library's C
encoder instead (and checked to be such a value by the C decoder): on that subset
RFC 8785 and ``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",",
":"))`` produce the same bytes (no floats to
format, ASCII keys sort the same by code point as by UTF-16 unit, and both escape
only ``"``, ``\\`` and characters below U+0020, in the same forms; DEL stays
raw). Every other value goes to ``rfc8785``; tests/test_canonical.py checks the two
agree on generated values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from lineage.errors import InputError

_MAX_SAFE_INTEGER = 2**53 - 1


def _reject_float(text: str) -> Any:
    raise ValueError("float")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        raise ValueError("integer outside the IEEE 754 safe range")
    return value


def _stdlib_encoding(value: Any) -> bytes | None:
    """The stdlib encoding of ``value`` if it lies in the subset where it equals RFC 8785.

    The checks run in C: the output is ASCII (so every string and key was), and it
    decodes back, with no float and no unsafe integer, to a value equal to the input
    (so nothing was converted on the way, such as a non-string key or a tuple).
    """
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        if not text.isascii():
            return None
        if json.loads(text, parse_float=_reject_float, parse_int=_safe_int) != value:
            return None
    except (TypeError, ValueError, RecursionError):
        return None
    return text.encode()


class _SlowPathError(Exception):
    """The payload holds a value the standard library does not encode as RFC 8785 does."""


def _not_fast(text: str) -> Any:
    raise _SlowPathError


def _fast_int(text: str) -> int:
    value = int(text) if len(text) < 20 else _not_fast(text)
    if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        raise _SlowPathError
    return value


def parse_canonical(payload: bytes, what: str = "payload", *, check_depth: bool = True) -> Any:
    """The JSON value ``payload`` holds, if ``payload`` is exactly its RFC 8785 encoding;
    :class:`InputError` otherwise (duplicate keys, other spacing or key order, escapes,
    ``NaN``, integers outside ±(2**53-1), invalid Unicode: none survive the comparison).

    For an ASCII payload without floats one parse and one encoding, both in C, decide it;
    anything else goes through ``rfc8785``. ``check_depth=False``: the caller checks the
    value's exact shape, which bounds its depth (the walk is then skipped).
    """
    try:
        if payload.isascii():
            try:
                value = json.loads(
                    payload,
                    parse_float=_not_fast,
                    parse_int=_fast_int,
                    parse_constant=_not_fast,
                )
            except _SlowPathError:
                pass
            else:
                encoded = json.dumps(
                    value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                ).encode()
                if encoded != payload:
                    raise InputError(_NOT_CANONICAL, field=what)
                if check_depth:
                    _check_depth(value, what, payload)
                return value
        value = json.loads(payload, parse_constant=_not_fast)
    except _SlowPathError as exc:
        raise InputError("NaN is not allowed (nor Infinity)", field=what) from exc
    except UnicodeEncodeError as exc:
        raise InputError(
            "cannot be canonicalised: a string is not valid Unicode", field=what
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise InputError("is not JSON", field=what) from exc
    try:
        canonical = canonical_bytes(value)
    except InputError as exc:
        raise InputError(exc.problem, field=what) from exc
    if canonical != payload:
        raise InputError(_NOT_CANONICAL, field=what)
    if check_depth:
        _check_depth(value, what, payload)
    return value


_NOT_CANONICAL = (
    "is not in RFC 8785 canonical form (duplicate keys, spacing, key order or escapes differ"
    " from it)"
)


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 encoding of ``value``; raises :class:`InputError` if it has none."""
    fast = _stdlib_encoding(value)
    if fast is not None:
        return fast
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"cannot be canonicalised (RFC 8785): {reason}") from exc


def canonical_lines(values: list[Any]) -> list[bytes]:
    """The RFC 8785 encoding of each of ``values`` (a batch's items): encoded one by one by
    the standard library's C encoder and checked all at once (the joined text is ASCII
    and decodes back to ``values``, as :func:`_stdlib_encoding` checks one value), else
    one by one with :func:`canonical_bytes`."""
    dumps = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode
    try:
        lines = [dumps(value) for value in values]
        text = "[" + ",".join(lines) + "]"
        if text.isascii() and (
            json.loads(text, parse_float=_reject_float, parse_int=_safe_int) == values
        ):
            return [line.encode() for line in lines]
    except (TypeError, ValueError, RecursionError):
        pass
    return [canonical_bytes(value) for value in values]


MAX_DEPTH = 32
"""The deepest nesting of arrays and objects lineage reads (its own formats use six)."""


def _openers(text: str | bytes) -> int:
    """How many ``[`` and ``{`` the text holds: a bound on its nesting depth."""
    if isinstance(text, bytes):
        return text.count(b"[") + text.count(b"{")
    return text.count("[") + text.count("{")


def _check_depth(value: Any, what: str, text: bytes) -> None:
    """Refuse arrays and objects nested deeper than :data:`MAX_DEPTH` (containers only;
    not walked when the text holds too few brackets to nest that deep)."""
    if _openers(text) <= MAX_DEPTH:
        return
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"nested deeper than {MAX_DEPTH} levels", field=what)
        children = item.values() if isinstance(item, dict) else item
        pending.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def _check_shape(value: Any, what: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and strings holding lone surrogates
    (``"\\ud800"``: they have no UTF-8 form), in one iterative walk."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode()
                except UnicodeEncodeError as exc:
                    raise InputError(f"invalid {what}: a string is not valid Unicode") from exc
            continue
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise InputError(f"invalid {what}: nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in children)


def parse_json(text: str | bytes, what: str = "JSON") -> Any:
    """Parse JSON strictly; raises :class:`InputError` naming the problem.

    Refused: duplicate keys (a first-wins and a last-wins reader would see different
    documents), ``NaN`` and ``Infinity``, integers outside ±(2**53-1) (I-JSON), strings
    that are not valid Unicode (lone surrogates), and nesting deeper than
    :data:`MAX_DEPTH`.
    """

    def no_constants(name: str) -> Any:
        raise InputError(f"{what}: {name} is not allowed")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"duplicate key {key[:80]!r}", field=key[:80])
            out[key] = value
        return out

    def safe_int(digits: str) -> int:
        if len(digits.lstrip("-")) > 16:
            raise InputError(f"{what}: integer {digits[:20]}… is outside ±(2**53-1)")
        try:
            return _safe_int(digits)
        except ValueError as exc:
            raise InputError(f"{what}: integer {digits} is outside ±(2**53-1)") from exc

    try:
        value = json.loads(
            text,
            parse_constant=no_constants,
            parse_int=safe_int,
            object_pairs_hook=no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid {what}: {exc.msg} at column {exc.colno}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid {what}: not UTF-8") from exc
    except RecursionError as exc:
        raise InputError(f"invalid {what}: nested deeper than {MAX_DEPTH} levels") from exc
    plain = text.isascii() and (
        b"\\u" not in text if isinstance(text, bytes) else "\\u" not in text
    )
    if not plain or _openers(text) > MAX_DEPTH:  # else: no lone surrogate, no deep nesting
        _check_shape(value, what)
    return value
