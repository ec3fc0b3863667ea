"""Statements written by hand or by a pipeline in another language: read one from a
file, validate it as an in-toto Statement v1 with a lineage predicate, and sign it."""

from __future__ import annotations

from pathlib import Path

from lineage.crypto.canonical import parse_json
from lineage.crypto.dsse import MAX_ENVELOPE_BYTES, MAX_PAYLOAD_BYTES, Envelope, sign_envelope
from lineage.crypto.keys import SigningKey
from lineage.errors import InputError
from lineage.model.statement import statement_from_json

MAX_STATEMENT_BYTES = 4 * 1024 * 1024


def sign_statement_file(path: Path, key: SigningKey) -> Envelope:
    """The statement in the JSON file ``path``, canonicalised and signed by ``key``;
    :class:`InputError` naming the file if it is too large or not a valid statement."""
    with path.open("rb") as handle:
        data = handle.read(MAX_STATEMENT_BYTES + 1)
    if len(data) > MAX_STATEMENT_BYTES:
        raise InputError(f"larger than {MAX_STATEMENT_BYTES} bytes", location=str(path))
    try:
        payload = statement_from_json(parse_json(data, "statement")).payload()
    except InputError as exc:
        raise exc.at(str(path)) from exc
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InputError(
            f"the canonical statement has {len(payload)} bytes: its envelope would be larger"
            f" than {MAX_ENVELOPE_BYTES} bytes (split it into statements of at most"
            f" {MAX_PAYLOAD_BYTES} bytes)",
            location=str(path),
        )
    return sign_envelope(payload, key)
