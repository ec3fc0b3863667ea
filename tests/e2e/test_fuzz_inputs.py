"""Fuzzing what `lineage ingest` and `lineage append` read: malformed and adversarial lines
(random JSON values, wrong types, missing and unknown fields, huge and deep values,
duplicate keys, lone surrogates, bytes that are not UTF-8, truncated JSON, real events and
envelopes with one field changed), after a run of valid lines.

Each input must be refused with exit 2 and exactly one line on stderr, ``error: …``, never
an internal error, and nothing written: the SQLite file and its write-ahead log keep their
bytes. SQLite only (the ``sqlite_env`` fixture): the bytes of the files are the check.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.ingest.events import EVENT_KINDS, schema
from lineage.ingest.jsonl import MAX_LINE_BYTES

from support.cli import run_cli
from support.graph_fixtures import events, setup_signers
from support.ledgers import LedgerEnv, example_envelope
from support.stores import sqlite_path

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
EVENTS = events()
NAME_FIELDS = {"shard": "shard:", "dataset": "ds:", "model": "model:", "finetuned_from": "model:"}
LIST_NAME_FIELDS = {"shards": "shard:", "datasets": "ds:"}
ENVELOPE_FIELDS = ("payload", "payloadType", "signatures")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
not_strings = st.none() | st.booleans() | st.integers() | st.lists(st.integers(), max_size=2)
not_integers = st.none() | st.text(max_size=5) | st.just(1.5) | st.lists(st.integers(), max_size=2)
not_lists = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.just({})


def line_of(value: Any) -> bytes:
    return json.dumps(value).encode() + b"\n"


def files_digest(database: Path) -> list[tuple[str, int, str]]:
    """(name, size, SHA-256) of the database file and of its write-ahead log, if any."""
    found = []
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            data = path.read_bytes()
            found.append((path.name, len(data), hashlib.sha256(data).hexdigest()))
    return found


def assert_refused(env: LedgerEnv, command: str, content: bytes) -> None:
    """``lineage COMMAND`` on ``content`` is exit 2, one ``error:`` line, nothing written."""
    source = env.root / "fuzz.jsonl"
    source.write_bytes(content)
    database = sqlite_path(env.url)
    before = files_digest(database)
    result = run_cli(command, str(source), "--db", env.url, "--keys-dir", str(env.root / "keys"))
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.exit_code, result.output[:500])
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[:1000]
    assert "internal error" not in lines[0] and result.stdout == ""
    assert files_digest(database) == before


# -- mutations that no reader may accept ---------------------------------------------


def _field_schema(kind: str, field: str) -> dict[str, Any]:
    definitions = schema()["$defs"]
    found: dict[str, Any] = definitions[kind]["properties"][field]
    while "$ref" in found:
        found = definitions[found["$ref"].rsplit("/", 1)[1]]
    return found


@st.composite
def wrong_value(draw: st.DrawFn, kind: str, field: str) -> Any:
    """A value of the wrong JSON type for an event's ``field`` (or an unknown event kind)."""
    if field == "event":
        return draw(st.text(max_size=12).filter(lambda v: v not in EVENT_KINDS) | not_strings)
    expected = _field_schema(kind, field).get("type", "string")
    strategy = {"integer": not_integers, "array": not_lists}.get(expected, not_strings)
    return draw(strategy)


@st.composite
def mutated_event(draw: st.DrawFn) -> dict[str, Any]:
    """A real event with one field changed so that no reader accepts it."""
    event = dict(draw(st.sampled_from(EVENTS)))
    kind = str(event["event"])
    required = schema()["$defs"][kind]["required"]
    names = [f for f in event if f in NAME_FIELDS or f in LIST_NAME_FIELDS]
    choices = ["remove", "unknown", "wrong type", "surrogate"] + (["typed name"] if names else [])
    how = draw(st.sampled_from(choices))
    if how == "remove":
        del event[draw(st.sampled_from(required))]
    elif how == "unknown":
        known = set(schema()["$defs"][kind]["properties"])
        event[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in known))] = 1
    elif how == "wrong type":
        field = draw(st.sampled_from(sorted(event)))
        event[field] = draw(wrong_value(kind, field))
    elif how == "surrogate":
        texts = [f for f, v in event.items() if isinstance(v, str)]
        field = draw(st.sampled_from(texts))
        event[field] = event[field] + draw(st.sampled_from(["\ud800", "\udcff", "\udfff"]))
    else:
        field = draw(st.sampled_from(names))
        if field in LIST_NAME_FIELDS:
            event[field] = [LIST_NAME_FIELDS[field] + name for name in event[field]] or ["shard:x"]
        else:
            event[field] = NAME_FIELDS[field] + str(event[field])
    return event


def _flip(data: bytes, position: int) -> str:
    changed = bytearray(data)
    changed[position % len(changed)] ^= 1 << (position % 8)
    return base64.b64encode(bytes(changed)).decode()


@st.composite
def mutated_envelope(draw: st.DrawFn, envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """A real signed envelope with one field changed so that no reader accepts it."""
    envelope = json.loads(json.dumps(draw(st.sampled_from(envelopes))))
    signature = envelope["signatures"][0]
    position = draw(st.integers(min_value=0, max_value=10_000))
    how = draw(
        st.sampled_from(
            ["remove", "unknown", "payloadType", "payload", "sig", "keyid", "signatures", "type"]
        )
    )
    if how == "remove":
        del envelope[draw(st.sampled_from(ENVELOPE_FIELDS))]
    elif how == "unknown":
        key = draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in ENVELOPE_FIELDS))
        envelope[key] = draw(json_values)
    elif how == "payloadType":
        envelope["payloadType"] = draw(
            st.text(max_size=40).filter(lambda t: t != envelope["payloadType"]) | not_strings
        )
    elif how == "payload":
        envelope["payload"] = _flip(base64.b64decode(envelope["payload"]), position)
    elif how == "sig":
        signature["sig"] = _flip(base64.b64decode(signature["sig"]), position)
    elif how == "keyid":
        signature["keyid"] = draw(
            st.text("0123456789abcdef", min_size=1, max_size=64).filter(
                lambda k: k != signature["keyid"]
            )
        )
    elif how == "signatures":
        envelope["signatures"] = draw(st.sampled_from([[], [signature, signature]]) | not_lists)
    else:
        field = draw(st.sampled_from(ENVELOPE_FIELDS))
        envelope[field] = draw(not_strings if field != "signatures" else not_lists)
    return envelope


@st.composite
def broken_line(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` (one JSON object, one line) broken at the level of its bytes."""
    text = valid.rstrip(b"\n")
    at = draw(st.integers(min_value=1, max_value=len(text) - 1))
    how = draw(st.sampled_from(["truncated", "not UTF-8", "duplicate key", "deep", "huge"]))
    if how == "truncated":
        return text[:at] + b"\n"
    if how == "not UTF-8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"]))
        return text[:at] + bad + text[at:] + b"\n"
    if how == "duplicate key":
        key = next(iter(json.loads(text)))
        return b"{" + json.dumps(key).encode() + b": 1, " + text[1:] + b"\n"
    if how == "deep":
        depth = draw(st.integers(min_value=33, max_value=5000))
        return b'{"event": ' + b"[" * depth + b"]" * depth + b"}\n"
    return b'{"event": "' + b"x" * MAX_LINE_BYTES + b'"}\n'


def random_line(value: Any) -> bytes:
    return line_of(value)


def not_an_event(value: Any) -> bool:
    return not (isinstance(value, dict) and value.get("event") in EVENT_KINDS)


@st.composite
def bad_events_file(draw: st.DrawFn) -> bytes:
    """Valid events, then one line no reader accepts, then more valid events."""
    lines = [line_of(event) for event in EVENTS]
    cut = draw(st.integers(min_value=0, max_value=len(lines)))
    source = draw(st.sampled_from(["random", "mutated", "broken"]))
    if source == "random":
        bad = random_line(draw(json_values.filter(not_an_event)))
    elif source == "mutated":
        bad = line_of(draw(mutated_event()))
    else:
        bad = draw(broken_line(draw(st.sampled_from(lines))))
    return b"".join(lines[:cut]) + bad + b"".join(lines[cut:])


@st.composite
def bad_envelopes_file(draw: st.DrawFn, envelopes: list[dict[str, Any]]) -> bytes:
    """New valid envelopes, then one line no reader accepts."""
    lines = [line_of(envelope) for envelope in envelopes]
    cut = draw(st.integers(min_value=0, max_value=len(lines)))
    source = draw(st.sampled_from(["random", "mutated", "broken"]))
    if source == "random":
        bad = random_line(draw(json_values))
    elif source == "mutated":
        bad = line_of(draw(mutated_envelope(envelopes)))
    else:
        bad = draw(broken_line(draw(st.sampled_from(lines))))
    return b"".join(lines[:cut]) + bad + b"".join(lines[cut:])


# -- the two readers ------------------------------------------------------------------


@pytest.fixture
def pipeline_env(sqlite_env: LedgerEnv) -> LedgerEnv:
    """A SQLite ledger with the hand-built pipeline's signers, closed (the CLI opens it)."""
    sqlite_env.ledger.close()
    setup_signers(sqlite_env.url, sqlite_env.keys)
    return sqlite_env


def test_the_unfuzzed_inputs_are_accepted(pipeline_env: LedgerEnv) -> None:
    """The valid lines the fuzzing starts from are accepted, so each refusal is the bad line's."""
    source = pipeline_env.root / "events.jsonl"
    source.write_bytes(b"".join(line_of(event) for event in EVENTS))
    keys = ("--keys-dir", str(pipeline_env.root / "keys"))
    ingested = run_cli("ingest", str(source), "--db", pipeline_env.url, *keys)
    assert ingested.exit_code == 0, ingested.output
    batch = pipeline_env.root / "batch.jsonl"
    batch.write_bytes(b"".join(line_of(e) for e in signed_envelopes(pipeline_env)))
    appended = run_cli("append", str(batch), "--db", pipeline_env.url, *keys)
    assert appended.exit_code == 0, appended.output


@FUZZ
@given(content=bad_events_file())
def test_ingest_refuses_every_bad_line_in_one_line_and_writes_nothing(
    pipeline_env: LedgerEnv, content: bytes
) -> None:
    assert_refused(pipeline_env, "ingest", content)


def signed_envelopes(env: LedgerEnv) -> list[dict[str, Any]]:
    return [json.loads(example_envelope(env.collector, n=n).canonical()) for n in range(3)]


@pytest.fixture
def envelopes(sqlite_env: LedgerEnv) -> list[dict[str, Any]]:
    sqlite_env.ledger.close()
    return signed_envelopes(sqlite_env)


@FUZZ
@given(data=st.data())
def test_append_refuses_every_bad_line_in_one_line_and_writes_nothing(
    sqlite_env: LedgerEnv, envelopes: list[dict[str, Any]], data: st.DataObject
) -> None:
    assert_refused(sqlite_env, "append", data.draw(bad_envelopes_file(envelopes)))
