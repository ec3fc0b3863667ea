"""Request predicates are validated before anything is signed."""

from __future__ import annotations

import pytest

from lineage.errors import InputError
from lineage.model.requests import check_requests


@pytest.mark.parametrize(
    ("requests", "problem"),
    [
        ([], "1-100000 requests"),
        ([["deletion", "subject:abc", "2024-01-01T00:00:00Z"]], "about a Post"),
        ([["objection", "post:abc", "2024-01-01T00:00:00Z"]], "about a Subject"),
        ([["objection", "subject:abc", "yesterday"]], "not an RFC 3339 timestamp"),
        ([["erasure", "subject:abc", "2024-01-01T00:00:00Z"]] * 2, "given twice"),
        ([["erasure", "subject:abc"]], "[kind, target, at]"),
    ],
)
def test_request_predicates_are_validated(requests: list[object], problem: str) -> None:
    with pytest.raises(InputError) as caught:
        check_requests(requests)
    assert problem in str(caught.value)
