"""A ledger where each post breaks one policy rule (or none), for the policy checks."""

from __future__ import annotations

from lineage.crypto.keys import KeyDirectory
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.log import Ledger
from lineage.model.graph import POST
from lineage.policy import reference_policy_path
from lineage.policy.check import CheckReport

from support.ledgers import T0, LedgerEnv

POLICY = reference_policy_path()
STEPS = ["collect", "filter", "pack", "train", "privacy-requests"]

# raw post id -> (surface, visibility, jurisdiction, author age)
POSTS = {
    "ok": ("feed", "public", "US", "adult"),
    "friends": ("feed", "friends", "US", "adult"),
    "story": ("story", "public", "US", "adult"),
    "message": ("message", "private", "US", "adult"),
    "eu": ("feed", "public", "DE", "adult"),
    "gb": ("feed", "public", "GB", "adult"),
    "br": ("photo", "public", "BR", "adult"),
    "minor": ("feed", "public", "US", "minor"),
    "no-age": ("feed", "public", "US", None),
    "objector": ("feed", "public", "US", "adult"),
    "late-objector": ("feed", "public", "US", "adult"),
    "late-news": ("feed", "public", "US", "adult"),
    "deleted": ("feed", "public", "US", "adult"),
    "deleted-late": ("reel", "public", "US", "adult"),
    "erased": ("feed", "public", "US", "adult"),
}
# (kind, raw post or author, made at, recorded at)
REQUESTS = [
    ("objection", "objector", "2024-07-15T00:00:00Z", "2024-07-16T00:00:00Z"),
    ("objection", "late-objector", "2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z"),
    # made before the first training run, but the ledger learnt of it only afterwards
    ("objection", "late-news", "2024-07-25T00:00:00Z", "2024-09-10T00:00:00Z"),
    ("deletion", "deleted", "2024-07-20T00:00:00Z", "2024-07-21T00:00:00Z"),
    ("deletion", "deleted-late", "2024-10-01T00:00:00Z", "2024-10-02T00:00:00Z"),
    ("erasure", "erased", "2024-07-10T00:00:00Z", "2024-07-11T00:00:00Z"),
]
FIRST_RUN, SECOND_RUN = "2024-08-01T00:00:00Z", "2024-10-15T00:00:00Z"


def build(env: LedgerEnv) -> dict[str, str]:
    """Each post breaks one rule (or none); two models trained on the same shard before
    and after the UK and Brazil pauses ended; one packed record derives from a post no
    entry declares. Returns raw post id -> post node id."""
    keys = KeyDirectory(env.root / "keys")
    worker = keys.create("worker")
    env.ledger.register_key(env.admin, "worker", worker.public, STEPS, valid_from=T0)
    env.ledger.close()
    ids: dict[str, str] = {}
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage:
        collect = lineage.step("collect", key="worker", time="2024-07-01T00:00:00Z")
        keep = lineage.step("filter", key="worker", time="2024-07-01T01:00:00Z")
        pack = lineage.step("pack", key="worker", time="2024-07-02T00:00:00Z")
        records = []
        for raw, (surface, visibility, jurisdiction, age) in POSTS.items():
            post = collect.origin(
                f"fb:{raw}",
                platform="facebook",
                surface=surface,
                visibility=visibility,
                created="2024-06-01T00:00:00Z",
                jurisdiction=jurisdiction,
                author=f"fb:user:{raw}",
                author_age=age,
            )
            ids[raw] = post.id
            records.append(keep.keep(post))
        ghost = Ref("post:" + "ab" * 12, POST, records[0].subject)
        records.append(keep.keep(ghost))
        shard = pack.shard("s1", sha256="00" * 32, size=1, records=records)
        dataset = pack.dataset("d1", shards=[shard])
        lineage.step("train", key="worker", time=FIRST_RUN).model("m1", trained_on=[dataset])
        lineage.step("train", key="worker", time=SECOND_RUN, run="2").model(
            "m2", trained_on=[dataset]
        )
        for n, (kind, raw, made, recorded) in enumerate(REQUESTS):
            step = lineage.step("privacy-requests", key="worker", time=recorded, run=str(n))
            target = lineage.post(f"fb:{raw}") if kind == "deletion" else None
            step.request(kind, target or lineage.author(f"fb:user:{raw}"), made)
    env.ledger = Ledger.open(env.url)
    return ids


def failed(report: CheckReport, ids: dict[str, str]) -> dict[str, set[str]]:
    """Rule -> the raw ids of the posts that failed it (``?`` for an unknown origin)."""
    raw_of = {node: raw for raw, node in ids.items()}
    found: dict[str, set[str]] = {}
    for finding in [*report.findings, *report.notice_findings]:
        found.setdefault(finding.rule, set()).add(raw_of.get(finding.origin or "", "?"))
    return found


# the head of a minimal valid policy document, to add rules to
HEAD = "[policy]\nid='p'\nversion='1'\neffective_from=2024-01-01T00:00:00Z\n"
