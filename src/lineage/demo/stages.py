"""The demo pipeline's decisions: each filter's rule (and its deliberate bugs), PII
redaction and duplicate detection. Pure functions of a post: the simulator records
what they decide, and the ground truth of a ``--leak`` run comes from the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lineage.demo.corpus import EU_EEA, TRAINED_AT, Post


@dataclass(frozen=True)
class Pause:
    """Training on a jurisdiction's content paused from ``start`` until ``end``."""

    name: str
    jurisdictions: tuple[str, ...]
    start: datetime
    end: datetime | None

    def covers(self, jurisdiction: str, at: datetime) -> bool:
        """Whether the pause applies to content from ``jurisdiction`` at time ``at``."""
        in_force = self.start <= at and (self.end is None or at < self.end)
        return in_force and jurisdiction in self.jurisdictions


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


PAUSES = (
    Pause("EU/EEA", tuple(EU_EEA), _day("2024-06-14"), _day("2025-05-27")),
    Pause("UK", ("GB",), _day("2024-06-14"), _day("2024-09-13")),
    Pause("BR", ("BR",), _day("2024-07-02"), _day("2024-08-30")),
)
WRONG_EU_UK_START = _day("2024-09-14")

LEAKS = {
    "visibility": "the visibility filter lets friends-only posts through",
    "jurisdiction": "the jurisdiction filter starts the EU/EEA/UK pause on 2024-09-14,"
    " not 2024-06-14",
    "objection": "the objection filter ignores objections",
    "minor": "the minor filter lets minors' posts through",
    "deletion": "the deletion filter ignores posts deleted before training",
}
FILTERS = ("visibility", "jurisdiction", "objection", "minor", "deletion")


def _pauses(leak: bool) -> tuple[Pause, ...]:
    if not leak:
        return PAUSES
    return tuple(
        Pause(p.name, p.jurisdictions, WRONG_EU_UK_START, p.end) if p.name != "BR" else p
        for p in PAUSES
    )


def drop_reason(stage: str, post: Post, leak: bool = False) -> str | None:
    """Why filter ``stage`` drops ``post`` for the training run (None: it passes);
    ``leak`` runs the stage's bug instead of its rule."""
    if stage == "visibility":
        if post.visibility != "public" and not (leak and post.visibility == "friends"):
            return "not-public"
        if post.surface in ("story", "message"):
            return f"excluded-surface:{post.surface}"
        return None
    if stage == "jurisdiction":
        for pause in _pauses(leak):
            if pause.covers(post.jurisdiction, TRAINED_AT):
                return f"paused:{pause.name}"
        return None
    if stage == "objection":
        objected = post.author.objected_at
        return "objection" if not leak and objected and objected <= TRAINED_AT else None
    if stage == "minor":
        return "minor" if not leak and post.author.age == "minor" else None
    if stage == "deletion":
        deleted = post.deleted_at
        return "deleted" if not leak and deleted and deleted <= TRAINED_AT else None
    raise ValueError(f"no filter {stage!r}")


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"\+?\d[\d ]{7,}\d")
_HANDLE = re.compile(r"@\w+")


def redact(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and handles replaced by placeholders."""
    return _HANDLE.sub("[HANDLE]", _PHONE.sub("[PHONE]", _EMAIL.sub("[EMAIL]", text)))


def near_key(text: str) -> str:
    """What near duplicates share: the words, without case, spacing or punctuation."""
    return " ".join(re.sub(r"[^a-z0-9\[\] ]", " ", text.lower()).split())
