"""How hashes, keys and signatures are written in lineage's outputs: standard base64 with
padding, as in checkpoints and signed notes (hex only where a field's name says so)."""

from __future__ import annotations

import base64


def b64(data: bytes) -> str:
    """``data`` in standard base64 with padding."""
    return base64.b64encode(data).decode()
