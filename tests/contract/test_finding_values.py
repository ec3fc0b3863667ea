"""A finding explains itself: it carries the attribute values and times its rule read,
and the policy parameter entries that made it fail (the pause window of the post's
jurisdiction), on every store."""

from __future__ import annotations

from lineage.policy.check import check
from lineage.policy.document import read_policy

from support.ledgers import LedgerEnv
from support.policy_fixtures import FIRST_RUN, POLICY, build


def test_each_finding_says_what_its_rule_read(env: LedgerEnv) -> None:
    ids = build(env)
    report = check(env.ledger.store, "model:m1", read_policy(POLICY), max_listed=0)
    by = {(f.rule, f.origin): f.read for f in [*report.findings, *report.notice_findings]}
    brazil = by["jurisdiction-pause", ids["br"]]
    assert brazil["post.jurisdiction"] == "BR" and brazil["time.use"] == FIRST_RUN
    assert [pause["jurisdictions"] for pause in brazil["params.pauses"]] == [["BR"]]
    assert brazil["params.pauses"][0]["start"] <= FIRST_RUN < brazil["params.pauses"][0]["end"]
    deleted = by["deleted-before-use", ids["deleted"]]
    assert deleted == {"post.deleted": "2024-07-20T00:00:00Z", "time.use": FIRST_RUN}
    late = by["deleted-after-use", ids["deleted-late"]]
    assert late["post.deleted"] == "2024-10-01T00:00:00Z"
    assert by["no-minors", ids["minor"]] == {"subject.age": "minor"}
    surface = by["excluded-surfaces", ids["message"]]
    assert surface["post.surface"] == "message" and "message" in surface["params.excluded_surfaces"]
    unknown = [f for f in report.findings if f.rule == "unknown-origin"]
    assert unknown and all(f.read == {} for f in unknown)  # no origin: nothing was read
    listed = report.to_json()["findings"]
    assert all("read" in finding for finding in listed)
