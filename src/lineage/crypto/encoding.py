"""How hashes, keys and signatures are written in lineage's outputs: standard base64 with
padding, as in checkpoints and signed notes (hex only where a field's name says so)."""

from __future__ import annotations

import base64
import binascii

from lineage.errors import InputError


def b64(data: bytes) -> str:
    """``data`` in standard base64 with padding."""
    return base64.b64encode(data).decode()


def from_b64(value: object, field: str) -> bytes:
    """The bytes of standard base64 text; :class:`InputError` naming ``field`` if it is
    not a string or not valid base64."""
    if not isinstance(value, str):
        raise InputError("must be a base64 string", field=field)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError("is not valid base64", field=field) from exc
