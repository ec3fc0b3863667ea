"""Demo runs (the simulator on a fresh ledger) and the post ids they name."""

from __future__ import annotations

from pathlib import Path

from lineage.crypto.keys import KeyDirectory
from lineage.demo.simulate import DemoRun, simulate
from lineage.ledger.log import Ledger
from lineage.model.identity import Identities, SeededKeySource

POSTS = 600


def run_demo(
    url: str, root: Path, leak: str | None = None, seed: int = 7, same_keys: bool = False
) -> DemoRun:
    """A demo run into a new ledger at ``url``; ``same_keys``: subject keys derived from
    the seed (for tests that compare two runs byte for byte), else random as always."""
    keys = KeyDirectory(root / "keys")
    Ledger.create(url, keys.create("admin")).close()
    source = SeededKeySource(seed) if same_keys else None
    return simulate(url, root / "keys", root, posts=POSTS, seed=seed, leak=leak, key_source=source)


def post_ids(ledger: Ledger, raws: list[str]) -> set[str]:
    identities = Identities(ledger.store.identities())
    found = set()
    for raw in raws:
        owner = identities.owner("post", raw)
        assert owner is not None, raw
        found.add(owner.post_id(raw))
    return found
