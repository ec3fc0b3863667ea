"""Our canonical encoder against the rfc8785 package, on generated JSON values."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.crypto.canonical import _stdlib_encoding, canonical_bytes

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
