"""What the ledger cannot know about a model and its provider, from a small TOML file the
provider writes (``--provider FILE``): names, contacts, dates and narrative. Unknown keys
and wrong types are refused by name; fields left out are listed as missing, never guessed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.errors import InputError

MAX_PROVIDER_BYTES = 64 * 1024
MAX_TEXT = 4000
TEXT_SIZES = (
    "less than 1 billion tokens",
    "1 billion to 10 trillion tokens",
    "more than 10 trillion tokens",
)
"""The template's ranges for the size of text training data."""
MODALITIES = ("text", "image", "audio", "video", "other")

FIELDS: dict[str, tuple[type, str]] = {
    "provider.name": (str, "Provider name"),
    "provider.contact": (str, "Provider contact details"),
    "provider.authorised_representative": (str, "Authorised representative (name and contact)"),
    "model.name": (str, "Versioned model name"),
    "model.placed_on_market": (str, "Date of placement on the Union market"),
    "model.base_model_summary": (str, "Where the base model's summary is published"),
    "training_data.modalities": (list, "Modalities of the training data"),
    "training_data.text_size": (str, "Size of the text training data (the template's range)"),
    "training_data.content_types": (str, "Types of content"),
    "training_data.languages": (str, "Linguistic characteristics"),
    "training_data.other_characteristics": (str, "Other relevant characteristics"),
    "sources.services_description": (str, "The provider's services the user data came from"),
    "sources.other": (str, "Other sources of data"),
    "processing.pii_redaction_steps": (list, "Steps that redact personal data"),
    "processing.rights_reservations": (str, "Respect of reservations of rights (TDM opt-out)"),
    "processing.illegal_content": (str, "Measures to remove illegal content"),
    "processing.other": (str, "Other information on data processing"),
    "dataset.license": (str, "Licence of the dataset"),
    "dataset.languages": (list, "Languages of the dataset (ISO 639 codes)"),
    "dataset.curators": (str, "Who curated the dataset"),
}
"""Every key the file may hold: its type and what it means."""

REQUIRED_FOR_SUMMARY = (
    "provider.name",
    "provider.contact",
    "model.name",
    "model.placed_on_market",
    "training_data.modalities",
    "processing.illegal_content",
)


@dataclass(frozen=True)
class ProviderFacts:
    """The provider's answers, by dotted key."""

    values: dict[str, Any]
    source: str

    def get(self, key: str) -> Any:
        """The value of ``key`` (a key of :data:`FIELDS`), or None when not given."""
        return self.values.get(key)

    def text(self, key: str) -> str | None:
        """A text value, or None."""
        value = self.values.get(key)
        return value if isinstance(value, str) else None

    def missing(self, keys: tuple[str, ...] | list[str]) -> list[str]:
        """The keys among ``keys`` that were not given."""
        return [key for key in keys if key not in self.values]


NO_PROVIDER = ProviderFacts({}, "")


def read_provider(path: Path) -> ProviderFacts:
    """Read and check a provider file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_PROVIDER_BYTES:
        raise InputError(f"{path}: larger than {MAX_PROVIDER_BYTES:,} bytes")
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not TOML: {exc}") from exc
    values: dict[str, Any] = {}
    for table, content in parsed.items():
        if not isinstance(content, dict):
            raise InputError(f"{path}: {table}: expected a [{table}] table")
        for name, value in content.items():
            key = f"{table}.{name}"
            values[key] = _checked(path, key, value)
    return ProviderFacts(values, str(path))


def _checked(path: Path, key: str, value: Any) -> Any:
    if key not in FIELDS:
        known = ", ".join(sorted(FIELDS))
        raise InputError(f"{path}: {key}: unknown key (known: {known})")
    kind = FIELDS[key][0]
    if kind is str:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{path}: {key}: expected non-empty text")
        if len(value) > MAX_TEXT:
            raise InputError(f"{path}: {key}: longer than {MAX_TEXT} characters")
    else:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise InputError(f"{path}: {key}: expected a list of text")
        if len(value) > 100 or any(len(v) > 200 for v in value):
            raise InputError(f"{path}: {key}: at most 100 items of 200 characters")
    if key == "training_data.modalities" and not set(value) <= set(MODALITIES):
        raise InputError(f"{path}: {key}: each one of {', '.join(MODALITIES)}")
    if key == "training_data.text_size" and value not in TEXT_SIZES:
        raise InputError(f"{path}: {key}: one of the template's ranges: {'; '.join(TEXT_SIZES)}")
    return value
