"""A pipeline emitting lineage through the Python API, end to end.

    python examples/pipeline.py [DIR]

Creates a ledger in DIR (default: a temporary directory), registers one key per
step, runs three posts through collect → visibility filter → PII redaction →
packing → dataset → training, then traces the model and verifies the ledger.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

from lineage import KeyDirectory, Ledger, Lineage, Trace, verify_ledger

PLATFORMS = {"fb": "facebook", "ig": "instagram"}
POSTS = [
    ("fb:1001", "fb:user:7", "feed", "public", "US", "Lovely day, mail me at a@b.example"),
    ("fb:1002", "fb:user:7", "feed", "friends", "US", "Only for my friends"),
    ("ig:2001", "ig:user:9", "reel", "public", "BR", "Check out this recipe"),
]


def main(workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'lineage.db'}"
    keys = KeyDirectory(workdir / "keys")
    admin = keys.create("admin")
    ledger = Ledger.create(url, admin)
    signers = {
        "collector": ["collect"],
        "filter": ["visibility"],
        "redactor": ["pii-redact"],
        "trainer": ["pack", "dataset", "train"],
    }
    for name, steps in signers.items():
        ledger.register_key(admin, name, keys.create(name).public, steps)
    ledger.close()

    # --- what a pipeline writes -----------------------------------------------------
    with Lineage.open(url, keys_dir=workdir / "keys") as lineage:
        collect = lineage.step("collect", version="1.0", run="2025-06-01", key="collector")
        visibility = lineage.step("visibility", version="1.0", run="2025-06-01", key="filter")
        redact = lineage.step("pii-redact", version="2.1", run="2025-06-01", key="redactor")
        pack = lineage.step("pack", version="1.0", run="2025-06-01", key="trainer")

        kept = []
        for post_id, author, surface, visibility_, jurisdiction, text in POSTS:
            platform = PLATFORMS[post_id.split(":")[0]]
            post = collect.origin(
                post_id,
                platform=platform,
                surface=surface,
                visibility=visibility_,
                created="2025-05-30T08:00:00Z",
                jurisdiction=jurisdiction,
                author=author,
                content=text,
            )
            if visibility_ != "public":
                visibility.drop(post, "not-public")
                continue
            record = visibility.keep(post)
            kept.append(redact.transform(record, content=text.replace("a@b.example", "[EMAIL]")))

        shard_bytes = b"".join(r.id.encode() for r in kept)
        shard = pack.shard(
            "shard-0001",
            sha256=hashlib.sha256(shard_bytes).hexdigest(),
            size=len(shard_bytes),
            records=kept,
        )
        dataset = pack.dataset("public-posts-2025-06", shards=[shard], version="1")
        pack.model("model-2025-06", trained_on=[dataset])
    # ---------------------------------------------------------------------------------

    ledger = Ledger.open(url)
    trace = Trace(ledger.store, "model:model-2025-06")
    origins = list(trace.origins())
    summary = trace.finish().to_json()
    print(f"model:model-2025-06 has {len(origins)} origins: {summary['by_platform']}")
    print(f"dropped on the way: {summary['dropped']}")
    report = verify_ledger(ledger.store)
    print(f"verify: {'ok' if report.ok else report.problems} ({report.size} entries)")
    ledger.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
