"""The pipeline API: batching, background appends, validation, idempotence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lineage.crypto.dsse import MAX_ENVELOPE_BYTES
from lineage.crypto.keys import KeyDirectory
from lineage.errors import InputError
from lineage.ingest.pipeline import MAX_BATCH_SIZE, Lineage
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.identity import SeededKeySource
from lineage.model.times import parse_time

from support.stores import fresh_store_url

STEPS = ["collect", "clean", "pack"]


def make_ledger(root: Path, url: str, keys_from: Path | None = None) -> str:
    if keys_from is not None:
        shutil.copytree(keys_from, root / "keys")
    keys = KeyDirectory(root / "keys")
    if keys_from is None:
        for name in ("admin", "worker", "outsider"):
            keys.create(name)
    admin = keys.load("admin")
    ledger = Ledger.create(url, admin)
    since = parse_time("2024-01-01T00:00:00Z")
    ledger.register_key(admin, "worker", keys.load("worker").public, STEPS, valid_from=since)
    ledger.register_key(
        admin, "outsider", keys.load("outsider").public, ["other"], valid_from=since
    )
    ledger.close()
    return url


def run(lineage: Lineage, posts: int = 40) -> None:
    collect = lineage.step("collect", key="worker", run="r", time="2024-06-01T00:00:00Z")
    clean = lineage.step("clean", key="worker", run="r", time="2024-06-02T00:00:00Z")
    pack = lineage.step("pack", key="worker", run="r", time="2024-06-03T00:00:00Z")
    records = []
    for n in range(posts):
        post = collect.origin(
            f"fb:{n}",
            platform="facebook",
            surface="feed",
            visibility="public",
            created="2024-05-01T00:00:00Z",
            jurisdiction="US",
            author=f"fb:user:{n % 7}",
            content=f"text {n}",
        )
        if n % 5 == 0:
            clean.drop(post, "duplicate")
            continue
        records.append(clean.transform(post, content=f"TEXT {n}"))
    shard = pack.shard("s1", sha256="ab" * 32, size=10, records=records)
    pack.model("m1", trained_on=[pack.dataset("d1", shards=[shard])])


def entries(url: str) -> list[bytes]:
    ledger = Ledger.open(url)
    try:
        return [body for _, _, body in ledger.entries()]
    finally:
        ledger.close()


@pytest.mark.parametrize("background", [False, True])
def test_batches_are_statements_of_batch_size_edges(
    tmp_path: Path, store_url: str, background: bool
) -> None:
    url = make_ledger(tmp_path, store_url)
    with Lineage.open(
        url, keys_dir=tmp_path / "keys", batch_size=7, background=background
    ) as lineage:
        run(lineage)
    ledger = Ledger.open(url)
    try:
        report = verify_ledger(ledger.store)
        assert report.ok, report.problems
        statements = ledger.store.statements(range(report.size))
        per_step: dict[str, int] = {}
        for info in statements.values():
            per_step[info.step] = per_step.get(info.step, 0) + 1
        # collect: 40 AUTHORED edges -> 6 statements of <= 7; clean: 8 drops + 32
        # derivations -> 6; pack: 32 packings + 1 part-of + 1 trained-on -> 5.
        assert (per_step["collect"], per_step["clean"], per_step["pack"]) == (6, 6, 5)
    finally:
        ledger.close()


def test_background_and_foreground_write_the_same_ledger(tmp_path: Path, store_url: str) -> None:
    """Foreground on SQLite, background on each store: the same entries."""
    bodies = []
    for background in (False, True):
        root = tmp_path / str(background)
        root.mkdir()
        url = fresh_store_url("sqlite", root) if not background else store_url
        url = make_ledger(root, url, keys_from=tmp_path / "False" / "keys" if background else None)
        with Lineage.open(
            url,
            keys_dir=root / "keys",
            statements_per_append=3,
            batch_size=7,
            key_source=SeededKeySource(7),
            background=background,
        ) as lineage:
            run(lineage)
        bodies.append(entries(url)[3:])  # after the differently keyed registrations
    assert bodies[0] == bodies[1] and len(bodies[0]) > 5


def test_rerunning_the_same_pipeline_adds_nothing(tmp_path: Path, store_url: str) -> None:
    url = make_ledger(tmp_path, store_url)
    with Lineage.open(url, keys_dir=tmp_path / "keys") as lineage:
        run(lineage)
    before = entries(url)
    with Lineage.open(url, keys_dir=tmp_path / "keys") as lineage:
        run(lineage)
        lineage.flush()
        assert lineage.appended == 0
    assert entries(url) == before


@pytest.mark.parametrize("background", [False, True])
def test_an_unauthorised_step_fails_and_writes_nothing_of_its_batch(
    tmp_path: Path, store_url: str, background: bool
) -> None:
    url = make_ledger(tmp_path, store_url)
    size = len(entries(url))
    lineage = Lineage.open(url, keys_dir=tmp_path / "keys", background=background)
    step = lineage.step("collect", key="outsider", time="2024-06-01T00:00:00Z")
    step.origin(
        "fb:1",
        platform="facebook",
        surface="feed",
        visibility="public",
        created="2024-05-01T00:00:00Z",
        jurisdiction="US",
        author="fb:user:1",
    )
    with pytest.raises(InputError, match="not authorised for step 'collect'") as caught:
        lineage.close()
    assert caught.value.location == "statement 1 of this run"
    assert len(entries(url)) == size


def test_bad_attributes_are_refused_when_recorded(tmp_path: Path) -> None:
    url = make_ledger(tmp_path, fresh_store_url("sqlite", tmp_path))
    with Lineage.open(url, keys_dir=tmp_path / "keys") as lineage:
        step = lineage.step("collect", key="worker", time="2024-06-01T00:00:00Z")
        with pytest.raises(InputError, match="platform: must be a str"):
            step.origin(
                "fb:1",
                platform=5,
                surface="feed",  # type: ignore[arg-type]
                visibility="public",
                created="2024-05-01T00:00:00Z",
                jurisdiction="US",
                author="fb:user:1",
            )
        with pytest.raises(InputError, match="not an RFC 3339 timestamp"):
            step.origin(
                "fb:1",
                platform="facebook",
                surface="feed",
                visibility="public",
                created="2024-13-01T00:00:00Z",
                jurisdiction="US",
                author="fb:user:1",
            )
        pack = lineage.step("pack", key="worker", time="2024-06-01T00:00:00Z")
        with pytest.raises(InputError, match="64 lower-case hex"):
            pack.shard("s", sha256="xyz", size=1)
        with pytest.raises(InputError, match="not a node id"):
            pack.shard("bad name with spaces", sha256="ab" * 32, size=1)


def test_batch_size_is_bounded(tmp_path: Path) -> None:
    url = make_ledger(tmp_path, fresh_store_url("sqlite", tmp_path))
    with pytest.raises(InputError, match="batch size"):
        Lineage.open(url, keys_dir=tmp_path / "keys", batch_size=0)


def test_a_batch_too_large_for_one_envelope_is_split_into_several(
    tmp_path: Path, store_url: str
) -> None:
    """4,000 datasets with 1,000-character versions are ~4 MB of payload: more than one
    envelope holds, so the step's flush seals them as several statements."""
    url = make_ledger(tmp_path, store_url)
    with Lineage.open(url, keys_dir=tmp_path / "keys", batch_size=MAX_BATCH_SIZE) as lineage:
        pack = lineage.step("pack", key="worker", run="r", time="2024-06-03T00:00:00Z")
        datasets = [pack.dataset(f"d{n}", shards=[], version="v" * 1000) for n in range(4000)]
        pack.model("m", trained_on=datasets)
    ledger = Ledger.open(url)
    try:
        report = verify_ledger(ledger.store)
        assert report.ok, report.problems
        bodies = [body for _, _, body in ledger.entries()][3:]
        assert len(bodies) >= 2 and max(map(len, bodies)) <= MAX_ENVELOPE_BYTES
        assert len(ledger.store.nodes([f"ds:d{n}" for n in range(4000)])) == 4000
        assert len(ledger.store.edges_of("model:m")) == 4000
    finally:
        ledger.close()
