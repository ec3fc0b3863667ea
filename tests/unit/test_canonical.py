"""Our canonical encoder against the rfc8785 package, on generated JSON values."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.crypto.canonical import (
    _stdlib_encoding,
    canonical_bytes,
    parse_canonical,
    parse_json,
)
from lineage.crypto.dsse import Envelope
from lineage.errors import InputError

ascii_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=20)
any_text = st.text(max_size=20).filter(lambda s: all(not 0xD800 <= ord(c) <= 0xDFFF for c in s))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), ascii_text, any_text
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(ascii_text, any_text), inner, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=400)
@given(values)
def test_canonical_bytes_equal_rfc8785(value: object) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_control_characters_escape_the_same_way() -> None:
    value = {"k": "".join(chr(c) for c in range(0x20)) + '"\\/\x7f'}
    assert _stdlib_encoding(value) is not None
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_values_outside_the_subset_go_to_rfc8785() -> None:
    for value in ({"a": 1.5}, {"é": 1}, ["ü"], 2**60, {1: "a"}, ("a",), {"a": 1.0}):
        assert _stdlib_encoding(value) is None
    assert canonical_bytes({"a": 1.5, "é": "ü"}) == rfc8785.dumps({"a": 1.5, "é": "ü"})


floats = st.floats(-(2.0**52), 2.0**52, allow_nan=False, allow_infinity=False, width=64)
with_floats = st.recursive(
    st.one_of(scalars, floats),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(any_text, inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(with_floats)
def test_a_canonical_payload_reads_back_and_any_other_spelling_is_refused(value: object) -> None:
    payload = rfc8785.dumps(value)
    assert rfc8785.dumps(parse_canonical(payload)) == payload
    for other in (json.dumps(value, indent=1).encode(), b" " + payload):
        if other != payload:
            with pytest.raises(InputError):
                parse_canonical(other)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a":1,"a":2}',
        b'{"a":NaN}',
        b'{"a":9007199254740993}',
        b'{"a":"\\ud800"}',
        b'{"b":1,"a":2}',
        b'{"a":1.0}',
        b'{"a":"\\u0041"}',
        b'{"a":[1,2]}\n',
    ],
)
def test_non_canonical_spellings_are_refused(payload: bytes) -> None:
    with pytest.raises(InputError):
        parse_canonical(payload)


@pytest.mark.parametrize("payload", [b"[" * 33 + b"]" * 33, b'{"a":' * 33 + b"1" + b"}" * 33])
@pytest.mark.parametrize("float_in_it", [False, True])
def test_a_payload_nested_deeper_than_lineage_reads_is_refused(
    payload: bytes, float_in_it: bool
) -> None:
    """Both paths (C only, and through rfc8785) refuse it; 32 levels are read."""
    if float_in_it:
        payload = b'{"f":1.5,"x":' + payload + b"}"
    with pytest.raises(InputError, match="nested deeper than 32 levels"):
        parse_canonical(payload)
    assert parse_canonical(b"[" * 32 + b"]" * 32) == json.loads(b"[" * 32 + b"]" * 32)


@settings(max_examples=300)
@given(
    st.one_of(st.just("application/vnd.in-toto+json"), any_text, ascii_text),
    st.one_of(st.text("0123456789abcdef", min_size=64, max_size=64), any_text, ascii_text),
    st.binary(max_size=200),
    st.binary(min_size=64, max_size=64),
)
def test_an_envelope_written_directly_is_its_rfc8785_form(
    payload_type: str, keyid: str, payload: bytes, signature: bytes
) -> None:
    envelope = Envelope(payload_type, payload, keyid, signature)
    assert envelope.canonical() == rfc8785.dumps(envelope.to_json())


@pytest.mark.parametrize("digits", [17, 4301, 100_000])
def test_integers_longer_than_python_reads_are_one_clear_error(digits: int) -> None:
    """Past 4,300 digits ``int()`` itself raises; lineage refuses them first, by length."""
    text = b'{"n":' + b"9" * digits + b"}"
    with pytest.raises(InputError, match=r"outside ±\(2\*\*53-1\)"):
        parse_json(text)
    with pytest.raises(InputError):
        parse_canonical(text)
