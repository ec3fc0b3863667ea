"""Policy documents: bad policies and rules are refused; the reference pack compiles."""

from __future__ import annotations

import pytest

from lineage.errors import InputError
from lineage.policy.cel_env import compile_rules
from lineage.policy.document import parse_policy, read_policy

from support.policy_fixtures import HEAD, POLICY

BAD_POLICIES = [
    ("[policy\nid = 1", "not valid TOML"),
    ("[policy]\nid = 'p'\nversion = '1'\n", "effective_from is required"),
    (
        "[policy]\nid='p'\nversion='1'\neffective_from=2024-01-01T00:00:00\n",
        "effective_from must be a TOML date-time with a time zone",
    ),
    ("[policy]\nid='p'\nversion='1'\neffective_from=2024-01-01T00:00:00Z\n", "needs 1-200"),
    ("[rules]\nid='x'\n", "needs a [policy] table"),
]
BAD_RULES = [
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='post.visiblity == \"public\"'\n", "rule 'r':"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='post.surface'\n", "must be true or false"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='post.surface == 1'\n", "no matching overload"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='(('\n", "rule 'r': <input>:1:3: Syntax error"),
    ("[[rules]]\nid='r'\nexpr='true'\n", "rule 'r': implements must be a non-empty string"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='true'\nlevel='warn'\n", "level must be one of"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='true'\nwhen='x'\n", "unknown key 'when'"),
    ("[[rules]]\nid='r'\nimplements='x'\nexpr='true'\n" * 2, "rule 'r' is defined twice"),
    ("[[rules]]\nid=\"r\\n\"\nimplements='x'\nexpr='true'\n", "may use letters, digits"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_POLICIES + [(HEAD + r, p) for r, p in BAD_RULES])
def test_bad_policies_are_refused_before_anything_runs(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_rules(parse_policy(text.encode(), "bad.toml"))
    assert str(caught.value).startswith("bad.toml: ") and problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_reference_pack_compiles_and_documents_every_rule() -> None:
    policy = read_policy(POLICY)
    compiled = compile_rules(policy)
    assert {c.rule.id for c in compiled} >= {
        "public-only",
        "excluded-surfaces",
        "jurisdiction-pause",
        "objection",
        "no-minors",
        "deleted-before-use",
    }
    text = POLICY.read_text()
    for rule in policy.rules:
        assert rule.implements and f'id = "{rule.id}"' in text
    for fact in ("2024-06-14", "2025-05-27", "2024-09-13", "2024-07-02", "2024-08-30"):
        assert fact in text
