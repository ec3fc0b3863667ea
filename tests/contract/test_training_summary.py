"""The EU AI Act summary and the dataset card count exactly what the demo did, on every
store: posts, records, shards and bytes; the posts each processing measure left out (from
the demo's own tally, by stage); the records the redaction step wrote; the requests made
after training; the services, against trace. Every figure names entries that exist under
the checkpoint it cites; ``--as-of`` gives the ledger as it stood; provider fields that
are absent are listed, never filled in."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from lineage.demo.simulate import COLLECTED_AT, LATER, DemoRun
from lineage.errors import InputError
from lineage.export.card import dataset_card, size_category
from lineage.export.content import training_content
from lineage.export.eu_summary import summary_document
from lineage.export.measures import MEASURES
from lineage.export.provider import NO_PROVIDER, REQUIRED_FOR_SUMMARY, read_provider
from lineage.ingest.pipeline import Lineage, Ref
from lineage.ledger.log import Ledger
from lineage.model.graph import DATASET, SHARD
from lineage.model.times import format_time
from lineage.query.trace import Trace

from support.demo import run_demo
from support.ledgers import LedgerEnv
from support.policy_fixtures import POSTS, SECOND_RUN, build
from support.stores import STORES, fresh_store_url

FULL_PROVIDER = """
[provider]
name = "Example AI Ltd"
contact = "ai-office@example.com"

[model]
name = "Example-Base 1.0"
placed_on_market = "2025-09-01"
base_model_summary = "https://example.com/summaries/base"

[training_data]
modalities = ["text"]
text_size = "less than 1 billion tokens"

[processing]
illegal_content = "Classifier and human review before packing."
pii_redaction_steps = ["pii-redact"]
"""


@pytest.fixture(scope="module", params=STORES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One demo per store for the whole module (the tests only read it)."""
    root = tmp_path_factory.mktemp(f"demo-{request.param}")
    return run_demo(fresh_store_url(request.param, root), root)


def _summary(run: DemoRun, artifact: str, provider_text: str | None = None, **kw: Any) -> Any:
    provider = NO_PROVIDER
    if provider_text is not None:
        path = run.directory / "provider.toml"
        path.write_text(provider_text)
        provider = read_provider(path)
    ledger = Ledger.open(run.url, read_only=True)
    try:
        content = training_content(ledger, artifact, **kw)
        return content, summary_document(content, provider, "test")
    finally:
        ledger.close()


def _fields(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        field["label"]: field
        for section in document["sections"]
        for sub in section["subsections"]
        for field in sub["fields"]
    }


def _figures(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for field in _fields(document).values():
        found.update(field.get("figures", {}))
    return found


def test_every_count_equals_the_demos_own_tally(demo: DemoRun) -> None:
    content, document = _summary(demo, demo.model, FULL_PROVIDER)
    packed = sum(shard.records for shard in demo.shards)
    figures = _figures(document)
    assert content.posts == packed == figures["posts"]["value"]
    assert figures["records_in_shards"]["value"] == packed
    assert figures["shards"]["value"] == len(demo.shards)
    assert figures["bytes_in_shards"]["value"] == sum(shard.size for shard in demo.shards)
    by_stage: Counter[str] = Counter()
    for (stage, _reason), count in demo.drops.items():
        by_stage[stage] += count
    assert {key: figures[key]["value"] for key, _ in MEASURES} == {
        key: by_stage[key] for key, _ in MEASURES
    }
    assert figures["pii_redaction"]["value"] == demo.stages["dedup"].kept == packed
    assert figures["after:deletion"]["value"] == len(set(demo.deleted_after_training))
    assert figures["after:objection"]["value"] == len(set(demo.objected_after_training))
    assert not [key for key in figures if key.startswith("before:")]
    assert document["missing"] == []


def test_services_and_places_agree_with_trace(demo: DemoRun) -> None:
    content, document = _summary(demo, demo.model)
    ledger = Ledger.open(demo.url, read_only=True)
    try:
        traced = Trace(ledger.store, demo.dataset).finish()
    finally:
        ledger.close()
    platforms: Counter[str] = Counter()
    surfaces: Counter[str] = Counter()
    for service in content.services:
        platforms[service.platform] += service.posts
        surfaces[service.surface] += service.posts
    assert platforms == traced.by_platform and surfaces == traced.by_surface
    assert {code: f.value for code, f in content.jurisdictions.items()} == dict(
        traced.by_jurisdiction
    )
    rows = _fields(document)[
        "Data collected from users of the provider's other services or products"
    ]["table"]["rows"]
    assert sum(row["posts"] for row in rows) == traced.origins
    assert {row["collected"]["to"] for row in rows} == {format_time(COLLECTED_AT)}
    latest = _fields(document)["Latest date of data collection"]["answer"]
    assert latest == COLLECTED_AT.strftime("%m/%Y")


def test_every_figure_names_entries_under_its_checkpoint(demo: DemoRun) -> None:
    _, document = _summary(demo, demo.model, FULL_PROVIDER)
    size = document["checkpoint"]["size"]
    ledger = Ledger.open(demo.url, read_only=True)
    try:
        assert ledger.store.latest_checkpoint() == (size, document["checkpoint"]["note"])
        for name, figure in _figures(document).items():
            assert figure["recompute"].startswith("lineage "), name
            if figure["value"]:
                assert figure["entries"], name
            statements = ledger.store.statements(figure["entries"])
            assert sorted(statements) == figure["entries"], name
            assert all(entry < size for entry in figure["entries"]), name
        drops = _figures(document)["jurisdiction"]["entries"]
        steps = {row.step for row in ledger.store.statements(drops).values()}
        assert steps == {"jurisdiction"}
    finally:
        ledger.close()


def test_as_of_before_the_late_requests_gives_the_earlier_counts(demo: DemoRun) -> None:
    _, now = _summary(demo, demo.model)
    _, then = _summary(demo, demo.model, as_of=LATER)
    figures_now, figures_then = _figures(now), _figures(then)
    assert figures_now["after:deletion"]["value"] == len(set(demo.deleted_after_training)) > 0
    assert "after:deletion" not in figures_then and "after:objection" not in figures_then
    assert figures_then["posts"]["value"] == figures_now["posts"]["value"]
    assert figures_then["posts"]["recompute"].endswith(f"--as-of {format_time(LATER)}")
    assert then["as_of"] == format_time(LATER)
    with pytest.raises(InputError, match="no node"):
        _summary(demo, demo.model, as_of=COLLECTED_AT - timedelta(days=1))


def test_missing_provider_fields_are_listed_never_invented(demo: DemoRun) -> None:
    _, bare = _summary(demo, demo.finetune)
    keys = [item["key"] for item in bare["missing"]]
    assert keys == [*REQUIRED_FOR_SUMMARY, "model.base_model_summary"]
    fields = _fields(bare)
    assert fields["Provider name"]["source"] == "missing"
    assert "Example" not in str(bare)
    partial = FULL_PROVIDER.replace('name = "Example AI Ltd"\n', "").replace(
        'text_size = "less than 1 billion tokens"\n', ""
    )
    _, some = _summary(demo, demo.finetune, partial)
    assert [item["key"] for item in some["missing"]] == [
        "provider.name",
        "training_data.text_size",
    ]
    fields = _fields(some)
    assert fields["Versioned model name"] == {
        "label": "Versioned model name",
        "answer": "Example-Base 1.0",
        "source": "provider",
        "key": "model.name",
    }
    assert "model:demo-7-base" in fields["Model dependencies"]["answer"]


def test_the_fine_tune_summary_covers_its_own_content(demo: DemoRun) -> None:
    content, _ = _summary(demo, demo.finetune)
    assert demo.finetune_shard is not None
    assert [root.id for root in content.roots] == [demo.finetune_shard.id]
    assert content.posts == demo.finetune_shard.records
    assert [base for base, _ in content.base_models] == [demo.model]


def test_a_summary_is_of_a_model_and_a_card_of_a_dataset(demo: DemoRun) -> None:
    ledger = Ledger.open(demo.url, read_only=True)
    try:
        with pytest.raises(InputError, match="is a dataset: give a model"):
            training_content(ledger, demo.dataset, kinds=("Model",))
        with pytest.raises(InputError, match="is a post"):
            training_content(ledger, demo_post(ledger, demo))
    finally:
        ledger.close()


def demo_post(ledger: Ledger, demo: DemoRun) -> str:
    trace = Trace(ledger.store, demo.dataset)
    return next(iter(trace.origins())).id


def _hub_options(field: str) -> list[str]:
    """The values the hub documents for a metadata field, read from huggingface_hub's own
    ``DatasetCardData`` documentation (the hub publishes no offline schema)."""
    found = re.search(rf"^ +{field} \(.*?(?=^ {{8}}\S)", DatasetCardData.__doc__ or "", re.S | re.M)
    assert found is not None, field
    options = re.findall(r"'([^']+)'", found.group(0))
    assert options, field
    return options


def test_the_card_is_a_hub_dataset_card_with_the_ledgers_figures(demo: DemoRun) -> None:
    ledger = Ledger.open(demo.url, read_only=True)
    try:
        content = training_content(ledger, demo.dataset)
        card = dataset_card(content, NO_PROVIDER, "test")
        checkpoint = ledger.store.latest_checkpoint()
    finally:
        ledger.close()
    path = demo.directory / "README.md"
    path.write_text(card.text)
    loaded = DatasetCard.load(path)
    data = loaded.data.to_dict()
    packed = sum(shard.records for shard in demo.shards)
    assert data["size_categories"] == [size_category(packed)]
    assert set(data["size_categories"]) <= set(_hub_options("size_categories"))
    assert set(data["source_datasets"]) <= set(_hub_options("source_datasets"))
    assert checkpoint is not None
    assert data["lineage"]["checkpoint"]["size"] == checkpoint[0]
    assert data["lineage"]["checkpoint"]["root"] == checkpoint[1].splitlines()[2]
    assert data["lineage"]["records"] == packed and data["lineage"]["posts"] == packed
    assert card.missing == ["dataset.license", "dataset.languages"]
    body = loaded.text
    for (stage, reason), count in demo.drops.items():
        assert f"{reason}: {count:,}" in body.replace("\\", ""), (stage, reason)
    assert checkpoint[1].splitlines()[2] in body
    assert "[More Information Needed]" in body


@pytest.mark.parametrize(
    ("examples", "category"),
    [(0, "n<1K"), (999, "n<1K"), (1_000, "1K<n<10K"), (99_999, "10K<n<100K"), (10**13, "n>1T")],
)
def test_size_categories_follow_the_hubs_bounds(examples: int, category: str) -> None:
    assert size_category(examples) == category


def test_requests_before_training_about_content_still_in_it_are_named(env: LedgerEnv) -> None:
    """The hand-built ledger keeps posts it should have dropped: the summary counts the
    requests made before training about them apart from the ones made after."""
    build(env)
    content = training_content(env.ledger, "model:m1")
    requests = {(r.kind, r.after_training): r.count for r in content.requests}
    assert requests == {
        ("objection", False): 2,  # objector, and late-news (made before, recorded after)
        ("objection", True): 1,
        ("deletion", False): 1,
        ("deletion", True): 1,
        ("erasure", False): 1,
    }
    fields = _fields(summary_document(content, NO_PROVIDER, "test"))
    answer = fields["Deletion and objection requests about the training content"]["answer"]
    assert "made before training about content still in it" in answer
    assert content.posts == len(POSTS) and content.kinds["unknown"].value == 1  # the ghost


def test_a_model_trained_on_overlapping_inputs_counts_each_post_once(env: LedgerEnv) -> None:
    build(env)
    env.ledger.close()
    with Lineage.open(env.url, keys_dir=env.root / "keys") as lineage:
        train = lineage.step("train", key="worker", time=SECOND_RUN, run="3")
        train.model("m3", trained_on=[Ref("shard:s1", SHARD), Ref("ds:d1", DATASET)])
    env.ledger = Ledger.open(env.url)
    content = training_content(env.ledger, "model:m3")
    assert sorted(root.id for root in content.roots) == ["ds:d1", "shard:s1"]
    assert content.posts == len(POSTS)
    assert content.kinds["Shard"].value == 1
    assert content.shard_records.value == len(POSTS) + 1  # and the ghost's record
    assert sum(f.value for f in content.jurisdictions.values()) == len(POSTS)
