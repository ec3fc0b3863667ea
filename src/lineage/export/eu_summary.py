"""The EU AI Act training-content summary (Article 53(1)(d); the Commission's template of
24 July 2025) of a model, filled from the ledger and the provider's file.

The document follows the template's sections: 1 general information (provider, model,
modalities and size), 2 list of data sources (2.1–2.6), 3 data-processing aspects. Every
figure carries the ledger entries it was computed from, the checkpoint they are under
and the command that recomputes it; what the ledger does not record is said to be so;
what only the provider knows comes from its file, and is listed as missing when absent.
"""

from __future__ import annotations

from typing import Any

from lineage.export.content import Figure, TrainingContent
from lineage.export.measures import measures
from lineage.export.provider import FIELDS, REQUIRED_FOR_SUMMARY, ProviderFacts
from lineage.model.graph import POST, SHARD
from lineage.model.times import format_us

SUMMARY_FORMAT = "lineage.eu-ai-act-summary/v1"
TEMPLATE = (
    "Template for the Public Summary of Training Content for general-purpose AI models"
    " (European Commission, 24 July 2025), Article 53(1)(d) of Regulation (EU) 2024/1689"
)
NOT_RECORDED = "None recorded in this ledger."
OTHER_REASONS = "Other reasons (as the pipeline recorded them)"
"""The measures row of posts dropped for reasons outside every named measure."""
LEDGER, PROVIDER, ABSENT, MISSING = "ledger", "provider", "not-recorded", "missing"


def summary_document(
    content: TrainingContent, provider: ProviderFacts, version: str
) -> dict[str, Any]:
    """The summary as one JSON document: the page is rendered from it, and it is the
    sidecar a reader recomputes every figure from."""
    missing = _missing(content, provider)
    fields = _Fields(provider, missing)
    return {
        "format": SUMMARY_FORMAT,
        "template": TEMPLATE,
        "generated_by": f"lineage {version}",
        "model": content.artifact.id,
        "as_of": format_us(content.as_of_us) if content.as_of_us is not None else None,
        "checkpoint": {"size": content.checkpoint_size, "note": content.checkpoint},
        "provider_file": provider.source or None,
        "missing": [{"key": key, "field": FIELDS[key][1]} for key in missing],
        "sections": [
            _general(content, fields),
            _sources(content, fields),
            _processing(content, fields),
        ],
    }


class _Fields:
    """Builds the fields of a section, each saying where its answer came from."""

    def __init__(self, provider: ProviderFacts, missing: list[str]) -> None:
        self.provider, self.missing = provider, missing

    def given(self, label: str, key: str) -> dict[str, Any]:
        """A field only the provider can answer."""
        value = self.provider.get(key)
        if value is None:
            source = MISSING if key in self.missing else ABSENT
            answer = f"Not given (add {key} to the provider file)." if source == MISSING else ""
            return _field(label, answer or "Not given.", source, key=key)
        answer = ", ".join(value) if isinstance(value, list) else value
        return _field(label, answer, PROVIDER, key=key)


def _field(
    label: str,
    answer: str,
    source: str,
    *,
    key: str | None = None,
    figures: dict[str, Figure] | None = None,
    table: dict[str, Any] | None = None,
) -> dict[str, Any]:
    made: dict[str, Any] = {"label": label, "answer": answer, "source": source}
    if key is not None:
        made["key"] = key
    if figures:
        made["figures"] = {name: figure.to_json() for name, figure in figures.items()}
    if table is not None:
        made["table"] = table
    return made


def _missing(content: TrainingContent, provider: ProviderFacts) -> list[str]:
    wanted = list(REQUIRED_FOR_SUMMARY)
    if "text" in (provider.get("training_data.modalities") or []):
        wanted.append("training_data.text_size")
    if content.base_models:
        wanted.append("model.base_model_summary")
    return provider.missing(wanted)


def _general(content: TrainingContent, fields: _Fields) -> dict[str, Any]:
    model = content.artifact
    trained = [f"{root.id} (entry {root.entry})" for root in content.roots]
    bases = [f"{base} (entry {entry})" for base, entry in content.base_models]
    dependency = (
        f"Fine-tuned from {', '.join(bases)}; this summary covers the fine-tuning content."
        if bases
        else "No base model recorded in this ledger: the model was trained from the content below."
    )
    kinds = content.kinds
    posts = kinds.get(POST)
    size_figures = {
        name: figure
        for name, figure in (
            ("posts", posts),
            ("records_in_shards", content.shard_records),
            ("shards", kinds.get(SHARD)),
            ("bytes_in_shards", content.shard_bytes),
        )
        if figure is not None
    }
    alternative = "; ".join(
        f"{name.replace('_', ' ')}: {f.value:,}" for name, f in size_figures.items()
    )
    collected = content.collected().to_json()
    created = content.created().to_json()
    surfaces = _counted_surfaces(content)
    return {
        "id": "1",
        "title": "General information",
        "subsections": [
            {
                "id": "1.1",
                "title": "Provider identification",
                "fields": [
                    fields.given("Provider name", "provider.name"),
                    fields.given("Provider contact details", "provider.contact"),
                    fields.given("Authorised representative", "provider.authorised_representative"),
                ],
            },
            {
                "id": "1.2",
                "title": "Model identification",
                "fields": [
                    fields.given("Versioned model name", "model.name"),
                    _field(
                        "Model in the ledger",
                        f"{model.id}, declared by entry {model.entry} at"
                        f" {format_us(model.time_us)}; trained on"
                        f" {', '.join(trained) or 'nothing recorded'}.",
                        LEDGER,
                    ),
                    _field("Model dependencies", dependency, LEDGER),
                    fields.given("Summary of the base model", "model.base_model_summary"),
                    fields.given("Date of placement on the Union market", "model.placed_on_market"),
                ],
            },
            {
                "id": "1.3",
                "title": "Modalities, overall training data size and other characteristics",
                "fields": [
                    fields.given("Modalities", "training_data.modalities"),
                    fields.given("Size of the text training data", "training_data.text_size"),
                    _field(
                        "Size in other units (from the ledger)",
                        alternative or NOT_RECORDED,
                        LEDGER if alternative else ABSENT,
                        figures=size_figures,
                    ),
                    fields.given("Types of content", "training_data.content_types"),
                    _field(
                        "Types of content recorded in the ledger",
                        surfaces or NOT_RECORDED,
                        LEDGER if surfaces else ABSENT,
                    ),
                    _field(
                        "Latest date of data collection",
                        _month(collected["to"]) if collected else NOT_RECORDED,
                        LEDGER if collected else ABSENT,
                    ),
                    _field(
                        "Collection period",
                        _period(collected, "collected", created) if collected else NOT_RECORDED,
                        LEDGER if collected else ABSENT,
                    ),
                    fields.given("Linguistic characteristics", "training_data.languages"),
                    fields.given(
                        "Other relevant characteristics", "training_data.other_characteristics"
                    ),
                ],
            },
        ],
    }


def _counted_surfaces(content: TrainingContent) -> str:
    totals: dict[str, int] = {}
    for service in content.services:
        totals[service.surface] = totals.get(service.surface, 0) + service.posts
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{surface} posts: {count:,}" for surface, count in ordered)


def _month(text: str) -> str:
    return f"{text[5:7]}/{text[:4]}"


def _period(collected: dict[str, str], verb: str, created: dict[str, str] | None) -> str:
    made = f"{verb} from {collected['from']} to {collected['to']}"
    if created:
        made += f"; posted from {created['from']} to {created['to']}"
    return made[0].upper() + made[1:] + "."


def _sources(content: TrainingContent, fields: _Fields) -> dict[str, Any]:
    rows = [
        {
            "platform": s.platform,
            "surface": s.surface,
            "posts": s.posts,
            "posted": s.created.to_json(),
            "collected": s.collected.to_json(),
            "entries": sorted(s.entries),
        }
        for s in content.services
    ]
    platforms: dict[str, int] = {}
    for service in content.services:
        platforms[service.platform] = platforms.get(service.platform, 0) + service.posts
    named = ", ".join(f"{name} ({count:,} posts)" for name, count in sorted(platforms.items()))
    posts = content.kinds.get(POST)
    places = sorted(content.jurisdictions.items(), key=lambda item: (-item[1].value, item[0]))
    used = (
        f"Yes: {content.posts:,} public posts collected from {named}."
        if content.posts
        else NOT_RECORDED
    )
    return {
        "id": "2",
        "title": "List of data sources",
        "subsections": [
            _none("2.1", "Publicly available datasets"),
            _none("2.2", "Private non-publicly available datasets obtained from third parties"),
            _none("2.3", "Data crawled and scraped from online sources"),
            {
                "id": "2.4",
                "title": "User data",
                "fields": [
                    _field("Data from user interactions with the AI model", NOT_RECORDED, ABSENT),
                    _field(
                        "Data collected from users of the provider's other services or products",
                        used,
                        LEDGER if content.posts else ABSENT,
                        figures={"posts": posts} if posts else None,
                        table={
                            "columns": ["platform", "surface", "posts", "posted", "collected"],
                            "rows": rows,
                        },
                    ),
                    fields.given("Description of those services", "sources.services_description"),
                    _field(
                        "Where the posts' authors were (jurisdiction recorded at collection)",
                        ", ".join(f"{code}: {f.value:,}" for code, f in places) or NOT_RECORDED,
                        LEDGER if places else ABSENT,
                        figures=dict(places),
                    ),
                ],
            },
            _none("2.5", "Synthetic data"),
            {
                "id": "2.6",
                "title": "Other sources of data",
                "fields": [
                    _field("Recorded in the ledger", NOT_RECORDED, ABSENT),
                    fields.given("Other sources", "sources.other"),
                ],
            },
        ],
    }


def _none(number: str, title: str) -> dict[str, Any]:
    return {
        "id": number,
        "title": title,
        "fields": [_field("Used", NOT_RECORDED, ABSENT)],
    }


def _processing(content: TrainingContent, fields: _Fields) -> dict[str, Any]:
    recompute = "; ".join(
        f"lineage trace {root.id} --json" + _as_of(content) for root in content.roots
    )
    made, other = measures(content.drops, recompute + " (summary.dropped)")
    objections = next(m for m in made if m.key == "objection")
    measure_rows = [
        {
            "measure": m.title,
            "count": m.total.value,
            "by_reason": {reason: f.value for reason, f in m.by_reason.items()},
            "entries": list(m.total.entries),
        }
        for m in made
    ]
    if other:
        measure_rows.append(
            {
                "measure": OTHER_REASONS,
                "count": sum(f.value for f in other.values()),
                "by_reason": {reason: f.value for reason, f in other.items()},
                "entries": sorted({e for f in other.values() for e in f.entries}),
            }
        )
    figures = {m.key: m.total for m in made}
    figures.update({f"other:{reason}": figure for reason, figure in other.items()})
    return {
        "id": "3",
        "title": "Data processing aspects",
        "subsections": [
            {
                "id": "3.1",
                "title": "Respect of reservations of rights",
                "fields": [
                    _field(
                        "Objections honoured (posts of authors who objected, left out)",
                        f"{objections.total.value:,} posts left out.",
                        LEDGER,
                        figures={"objection": objections.total},
                    ),
                    fields.given("Reservations of rights", "processing.rights_reservations"),
                ],
            },
            {
                "id": "3.2",
                "title": "Removal of illegal content",
                "fields": [fields.given("Measures", "processing.illegal_content")],
            },
            {
                "id": "3.3",
                "title": "Other information",
                "fields": [
                    _field(
                        "Measures applied before training, with the posts each left out",
                        "; ".join(f"{row['measure']}: {row['count']:,}" for row in measure_rows)
                        + ".",
                        LEDGER,
                        figures=figures,
                        table={"columns": ["measure", "count", "by_reason"], "rows": measure_rows},
                    ),
                    _redaction(content, fields),
                    _requests(content),
                    _step_runs(content),
                    fields.given("Other information", "processing.other"),
                ],
            },
        ],
    }


def _as_of(content: TrainingContent) -> str:
    return f" --as-of {format_us(content.as_of_us)}" if content.as_of_us is not None else ""


def _redaction(content: TrainingContent, fields: _Fields) -> dict[str, Any]:
    steps = fields.provider.get("processing.pii_redaction_steps")
    label = "Personal data redacted (records written by the redaction steps)"
    if not steps:
        return _field(
            label,
            "No step named as redacting personal data (processing.pii_redaction_steps).",
            ABSENT,
        )
    runs = [run for run in content.step_runs if run.step in steps]
    total = sum(run.records.value for run in runs)
    entries = tuple(sorted({e for run in runs for e in run.records.entries}))
    figure = Figure(total, entries, runs[0].records.recompute if runs else "")
    named = ", ".join(sorted(steps))
    return _field(
        label,
        f"{total:,} records written by {named}." if runs else f"No run of {named} recorded.",
        LEDGER if runs else ABSENT,
        figures={"pii_redaction": figure},
    )


def _requests(content: TrainingContent) -> dict[str, Any]:
    after = [r for r in content.requests if r.after_training]
    before = [r for r in content.requests if not r.after_training]
    figures = {
        f"{'after' if r.after_training else 'before'}:{r.kind}": Figure(
            r.count, r.entries, f"lineage impact --post/--author …{_as_of(content)}"
        )
        for r in content.requests
    }
    parts = [f"{r.kind}: {r.count:,}" for r in after] or ["none"]
    text = f"Requests made after training about this content: {', '.join(parts)}."
    if before:
        early = ", ".join(f"{r.kind}: {r.count:,}" for r in before)
        text += f" Requests made before training about content still in it: {early}."
    return _field(
        "Deletion and objection requests about the training content",
        text,
        LEDGER,
        figures=figures,
    )


def _step_runs(content: TrainingContent) -> dict[str, Any]:
    rows = [
        {
            "step": run.step,
            "version": run.version,
            "run": run.run,
            "signers": list(run.keyids),
            "records": run.records.value,
        }
        for run in content.step_runs
    ]
    return _field(
        "Step runs that made the training content",
        f"{len(rows)} step runs, each signed (see the table).",
        LEDGER,
        table={"columns": ["step", "version", "run", "records", "signers"], "rows": rows},
    )
