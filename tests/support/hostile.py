"""A small ledger whose free-text fields (step version and run, a drop reason, a model's
description, a dataset's version, a shard's uri, a signer's name) hold markup, quotes and
DOT syntax, for checking that reports and pages show them as text."""

from __future__ import annotations

from pathlib import Path

from lineage.crypto.keys import KeyDirectory
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger

from support.ledgers import T0, registration_envelope

XSS = "<script>alert(1)</script>\"'></svg><img src=x onerror=alert(2)>"
DOT = '"]; evil [label="INJECTED" URL="javascript:alert(3)"]; x ["'
HOSTILE = XSS + " " + DOT
STEPS = ["collect", "filter", "pack", "train"]


def hostile_ledger(root: Path) -> tuple[str, dict[str, str]]:
    """A ledger at ``root``/h.db with hostile text wherever the API takes free text;
    returns its store URL and the ids it declared (post, shard, dataset, model)."""
    url = f"sqlite:///{root}/h.db"
    keys = KeyDirectory(root / "keys")
    admin = keys.create("admin")
    signer = keys.create("k")
    ledger = Ledger.create(url, admin)
    ledger.append([("r", registration_envelope(admin, signer, STEPS, T0))], admin)
    ledger.close()
    ids: dict[str, str] = {}
    with Lineage.open(url, keys_dir=root / "keys") as lineage:
        collect = lineage.step(
            "collect", key="k", version=HOSTILE[:60], run=DOT, time="2024-07-01T00:00:00Z"
        )
        keep = lineage.step("filter", key="k", version=DOT, run=XSS, time="2024-07-01T01:00:00Z")
        pack = lineage.step("pack", key="k", time="2024-07-02T00:00:00Z")
        records = []
        for n in range(3):
            post = collect.origin(
                f"fb:post:{n}",
                platform="facebook",
                surface="feed",
                visibility="public",
                created="2024-06-01T00:00:00Z",
                jurisdiction="US",
                author=f"fb:user:{n}",
                author_age="adult",
            )
            ids.setdefault("post", post.id)
            if n == 2:
                keep.drop(post, HOSTILE[:200])
            else:
                records.append(keep.keep(post))
        shard = pack.shard("s1", sha256="00" * 32, size=1, records=records, uri=HOSTILE)
        dataset = pack.dataset("d1", shards=[shard], version=HOSTILE[:100])
        model = lineage.step(
            "train", key="k", version=XSS, run=DOT, time="2024-08-01T00:00:00Z"
        ).model("m1", trained_on=[dataset], description=HOSTILE)
        ids.update(shard=shard.id, dataset=dataset.id, model=model.id)
    return url, ids


def slashed_ledger(root: Path, *, background: bool = False) -> tuple[str, dict[str, str]]:
    """A ledger at ``root``/s.db whose dataset and model names use characters node ids
    allow but URLs escape (``/``, ``+``, ``@``, ``=``); ``background``: the pipeline
    appends from a second process (as ``lineage demo`` does). Returns its store URL and
    its post, author, dataset and model ids."""
    url = f"sqlite:///{root}/s.db"
    keys = KeyDirectory(root / "keys")
    admin = keys.create("admin")
    signer = keys.create("k")
    ledger = Ledger.create(url, admin)
    ledger.append([("r", registration_envelope(admin, signer, STEPS, T0))], admin)
    ledger.close()
    with Lineage.open(url, keys_dir=root / "keys", background=background) as lineage:
        collect = lineage.step("collect", key="k", time="2024-07-01T00:00:00Z")
        post = collect.origin(
            "fb:post:1",
            platform="facebook",
            surface="feed",
            visibility="public",
            created="2024-06-01T00:00:00Z",
            jurisdiction="US",
            author="fb:user:1",
            author_age="adult",
        )
        record = lineage.step("filter", key="k", time="2024-07-01T01:00:00Z").keep(post)
        pack = lineage.step("pack", key="k", time="2024-07-02T00:00:00Z")
        shard = pack.shard("s1", sha256="00" * 32, size=1, records=[record])
        dataset = pack.dataset("cc/2024+x@v=1", shards=[shard])
        model = lineage.step("train", key="k", time="2024-08-01T00:00:00Z").model(
            "org/m+1@v=2", trained_on=[dataset]
        )
    assert post.subject is not None
    return url, {
        "post": post.id,
        "author": post.subject.node_id,
        "dataset": dataset.id,
        "model": model.id,
    }


def live_markup(page: str) -> list[object]:
    """The elements and attributes in ``page`` that could run or fetch something: script,
    img, iframe, object, embed, foreignObject, use, image tags; ``on…`` attributes; and
    ``javascript:`` links. Empty for a page that shows hostile text as text."""
    from html.parser import HTMLParser

    found: list[object] = []
    risky = {"script", "img", "iframe", "object", "embed", "foreignobject", "use", "image"}

    class Scan(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in risky:
                found.append(tag)
            for name, value in attrs:
                linked = name in ("href", "xlink:href", "src", "action")
                if name.startswith("on") or (linked and "javascript:" in (value or "").lower()):
                    found.append((tag, name, value))

    Scan().feed(page)
    return found
