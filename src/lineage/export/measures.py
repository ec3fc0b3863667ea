"""The processing measures a summary names, read from the drops and step runs behind the
content: each drop reason belongs to one measure (the reasons the reference pipeline and
policy pack use), and reasons outside them are listed as they are, never folded in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lineage.export.content import Figure
from lineage.query.trace import RunDrop

MEASURES: tuple[tuple[str, str], ...] = (
    ("visibility", "Non-public content and excluded surfaces (messages, friends-only, Stories)"),
    ("jurisdiction", "Posts from jurisdictions where use was paused"),
    ("objection", "Objections honoured"),
    ("minor", "Posts by minors excluded"),
    ("deletion", "Deletions honoured before use"),
    ("dedup", "Duplicates removed"),
)
"""Each measure's key and its name in a summary, in the order a summary lists them."""


def measure_of(reason: str) -> str | None:
    """The measure a drop reason belongs to, or None for a reason outside them."""
    if reason in ("not-public", "private") or reason.startswith("excluded-surface:"):
        return "visibility"
    if reason.startswith("paused:"):
        return "jurisdiction"
    if reason in ("objection", "objected"):
        return "objection"
    if reason == "minor":
        return "minor"
    if reason == "deleted":
        return "deletion"
    if reason in ("duplicate", "near-duplicate"):
        return "dedup"
    return None


@dataclass(frozen=True)
class Measure:
    """One measure's total, and its parts by reason."""

    key: str
    title: str
    total: Figure
    by_reason: dict[str, Figure]


def measures(drops: list[RunDrop], recompute: str) -> tuple[list[Measure], dict[str, Figure]]:
    """The drops gathered by measure (every measure listed, zero when nothing was dropped
    for it), and the drops whose reason is outside every measure, by reason."""
    counts: dict[str, int] = defaultdict(int)
    entries: dict[str, set[int]] = defaultdict(set)
    for drop in drops:
        counts[drop.reason] += drop.count
        entries[drop.reason].update(drop.entries)

    def figure(reasons: list[str]) -> Figure:
        found = set().union(*(entries[r] for r in reasons)) if reasons else set()
        return Figure(sum(counts[r] for r in reasons), tuple(sorted(found)), recompute)

    made = []
    for key, title in MEASURES:
        reasons = sorted(r for r in counts if measure_of(r) == key)
        made.append(Measure(key, title, figure(reasons), {r: figure([r]) for r in reasons}))
    other = {r: figure([r]) for r in sorted(counts) if measure_of(r) is None}
    return made, other
