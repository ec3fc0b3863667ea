"""The Request/v1 predicate: deletions, objections and erasure requests as statements.

::

    "predicate": {
      "step": {"name": "privacy-requests", "run": "2024-09-01"},
      "time": "2024-09-01T00:00:00Z",
      "requests": [["deletion", "post:9f…", "2024-08-30T12:00:00Z"],
                   ["objection", "subject:41…", "2024-08-31T08:00:00Z"]]
    }

Each request is ``[kind, target, at]``: a post was deleted by its author at ``at``; a
subject objected to the use of their content at ``at``; a subject asked for erasure at
``at``. ``at`` is when the person acted; the statement's own time is when the request
was recorded. Targets are pseudonymous node ids, as everywhere in the ledger.
"""

from __future__ import annotations

from lineage.errors import InputError
from lineage.model.graph import POST, SUBJECT, kind_of
from lineage.model.predicates import REQUEST
from lineage.model.times import parse_time

REQUEST_PREDICATE = REQUEST
DELETION, OBJECTION, ERASURE = "deletion", "objection", "erasure"
TARGET_KIND = {DELETION: POST, OBJECTION: SUBJECT, ERASURE: SUBJECT}
MAX_REQUESTS_PER_STATEMENT = 100_000


def check_requests(
    raw: object, field: str = "predicate.requests", first: int = 0
) -> list[list[str]]:
    """``raw`` if it is a valid list of ``[kind, target, at]`` requests (errors name
    ``field[first + position]``)."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_REQUESTS_PER_STATEMENT:
        raise InputError(f"must be a list of 1-{MAX_REQUESTS_PER_STATEMENT} requests", field=field)
    seen: set[tuple[str, str]] = set()
    for position, item in enumerate(raw):
        where = f"{field}[{first + position}]"
        if type(item) is not list or len(item) != 3 or not all(type(p) is str for p in item):
            raise InputError("must be [kind, target, at] strings", field=where)
        kind, target, at = item
        wanted = TARGET_KIND.get(kind)
        if wanted is None:
            raise InputError(
                f"unknown request kind {kind!r} (deletion, objection, erasure)", field=where
            )
        if kind_of(target) != wanted:
            raise InputError(
                f"a {kind} request is about a {wanted}, not {target[:80]!r}", field=where
            )
        parse_time(at, f"{where}.at")
        if (kind, target) in seen:
            raise InputError(f"{kind} of {target} is given twice", field=where)
        seen.add((kind, target))
    return raw
