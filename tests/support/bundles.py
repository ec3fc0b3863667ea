"""Bundles to check, and the ways to break them: one mutation per field class, each with
the class of the first check it must fail (``docs/bundle.md``), shared by the tests of
``verify-bundle`` and of the independent Go verifier."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from lineage.crypto.canonical import canonical_bytes

Bundle = dict[str, Any]


def flip_b64(value: str, byte: int = 0) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[byte] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _entry(bundle: Bundle, index: int) -> dict[str, Any]:
    return next(e for e in bundle["entries"] if e["index"] == index)


def _envelope(entry: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.b64decode(entry["entry"]))
    return value


def _set_envelope(entry: dict[str, Any], envelope: dict[str, Any]) -> None:
    entry["entry"] = base64.b64encode(canonical_bytes(envelope)).decode()


def _edge_item(bundle: Bundle) -> dict[str, Any]:
    return next(i for i in bundle["items"] if i["item"].startswith('["DERIVED_FROM"'))


def mutate_edge(bundle: Bundle) -> str:
    item = _edge_item(bundle)
    kind, src, dst = json.loads(item["item"])
    item["item"] = json.dumps([kind, src[:-1] + ("0" if src[-1] != "0" else "1"), dst])
    item["item"] = item["item"].replace(", ", ",")
    return f"item {bundle['items'].index(item)}"


def mutate_batch_path(bundle: Bundle) -> str:
    item = _edge_item(bundle)
    item["path"][0] = flip_b64(item["path"][0])
    return f"item {bundle['items'].index(item)}"


def mutate_signature(bundle: Bundle) -> str:
    entry = _entry(bundle, _edge_item(bundle)["entry"])
    envelope = _envelope(entry)
    envelope["signatures"][0]["sig"] = flip_b64(envelope["signatures"][0]["sig"], 5)
    _set_envelope(entry, envelope)
    return f"entry {entry['index']}"


def mutate_payload(bundle: Bundle) -> str:
    entry = _entry(bundle, _edge_item(bundle)["entry"])
    envelope = _envelope(entry)
    payload = base64.b64decode(envelope["payload"])
    changed = payload.replace(b'"version":"1.0"', b'"version":"1.1"', 1)
    assert changed != payload
    envelope["payload"] = base64.b64encode(changed).decode()
    _set_envelope(entry, envelope)
    return f"entry {entry['index']}"


def mutate_inclusion(bundle: Bundle) -> str:
    entry = next(e for e in bundle["entries"] if e["inclusion"])
    entry["inclusion"][-1] = flip_b64(entry["inclusion"][-1])
    return f"entry {entry['index']}"


def mutate_checkpoint(bundle: Bundle) -> str:
    lines = bundle["log"]["checkpoint"].split("\n")
    lines[2] = flip_b64(lines[2])
    bundle["log"]["checkpoint"] = "\n".join(lines)
    return "log"


def mutate_registration(bundle: Bundle) -> str:
    """Drop the registration of the key that signed the first disclosed edge: its
    statement is then signed by a key the bundle never registered."""
    signed = _entry(bundle, _edge_item(bundle)["entry"])
    keyid = _envelope(signed)["signatures"][0]["keyid"]
    for entry in bundle["entries"]:
        statement = json.loads(base64.b64decode(_envelope(entry)["payload"]))
        if entry["index"] and statement["predicate"].get("keyid") == keyid:
            bundle["entries"].remove(entry)
    first = min(
        e["index"] for e in bundle["entries"] if _envelope(e)["signatures"][0]["keyid"] == keyid
    )
    return f"entry {first}"


def mutate_claim(bundle: Bundle) -> str:
    bundle["claim"]["post"] = bundle["claim"]["post"][:-1] + (
        "0" if bundle["claim"]["post"][-1] != "0" else "1"
    )
    return "claim"


def mutate_non_canonical_item(bundle: Bundle) -> str:
    item = _edge_item(bundle)
    item["item"] = item["item"].replace('","', '", "', 1)
    return f"item {bundle['items'].index(item)}"


MUTATIONS: dict[str, tuple[Callable[[Bundle], str], str]] = {
    "edge": (mutate_edge, "batch-path"),
    "batch path": (mutate_batch_path, "batch-path"),
    "envelope signature": (mutate_signature, "signature"),
    "payload byte": (mutate_payload, "signature"),
    "inclusion path": (mutate_inclusion, "inclusion"),
    "checkpoint": (mutate_checkpoint, "checkpoint"),
    "registration": (mutate_registration, "authorisation"),
    "claim": (mutate_claim, "claim"),
    "non-canonical item": (mutate_non_canonical_item, "item"),
}
"""field class -> (mutation returning where it must fail, the class it must fail)."""


def mutated(bundle: Bundle, name: str) -> tuple[Bundle, str, str]:
    """A copy of ``bundle`` broken in one field class, with the class and place of the
    first check it must fail."""
    changed = copy.deepcopy(bundle)
    mutation, kind = MUTATIONS[name]
    where = mutation(changed)
    return changed, kind, where
