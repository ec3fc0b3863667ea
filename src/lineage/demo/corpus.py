"""A synthetic corpus of social-media posts, deterministic from a seed.

Posts on Facebook and Instagram, on every surface (feed posts, photos, reels,
comments, Stories, private messages, friends-only posts), by authors in the
EU/EEA, the UK, the US, Brazil and elsewhere, minors among them; objections and
deletions dated before and after the training run; text with e-mail addresses,
phone numbers and handles; exact and near duplicates. Nothing here is real.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EU_EEA = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]
JURISDICTIONS = (
    [(code, 2) for code in ("DE", "FR", "IE", "IT", "ES", "NL", "PL", "SE", "NO")]
    + [("GB", 6), ("US", 30), ("BR", 8), ("IN", 10), ("CA", 4), ("JP", 3), ("NG", 3)]
    + [("AU", 3), ("MX", 4), ("ZA", 2)]
)
SURFACES = [  # (platform, surface, visibility, weight)
    ("facebook", "feed", "public", 30),
    ("facebook", "feed", "friends", 10),
    ("facebook", "photo", "public", 10),
    ("facebook", "comment", "public", 12),
    ("facebook", "message", "private", 6),
    ("facebook", "story", "public", 4),
    ("instagram", "photo", "public", 12),
    ("instagram", "reel", "public", 8),
    ("instagram", "comment", "public", 6),
    ("instagram", "story", "public", 6),
    ("instagram", "message", "private", 4),
    ("instagram", "photo", "friends", 3),
]
PREFIX = {"facebook": "fb", "instagram": "ig"}
CORPUS_START = datetime(2023, 6, 1, tzinfo=UTC)
COLLECTED_AT = datetime(2024, 7, 20, tzinfo=UTC)
TRAINED_AT = datetime(2024, 8, 1, tzinfo=UTC)
FINETUNED_AT = datetime(2024, 8, 20, tzinfo=UTC)
LATER = datetime(2024, 12, 31, tzinfo=UTC)

_WORDS = [
    "sunset",
    "coffee",
    "garden",
    "recipe",
    "weekend",
    "concert",
    "football",
    "market",
    "river",
    "holiday",
    "family",
    "puppy",
    "bicycle",
    "museum",
    "library",
    "sourdough",
    "harvest",
    "festival",
    "mountain",
    "beach",
    "lecture",
    "election",
    "bakery",
    "rainy",
    "trail",
    "guitar",
    "painting",
    "marathon",
    "tomatoes",
    "lantern",
]


@dataclass(frozen=True)
class Author:
    """A synthetic author: id, platform, jurisdiction, age group and any objection."""

    id: str
    platform: str
    jurisdiction: str
    age: str
    """``"minor"`` or ``"adult"``."""
    objected_at: datetime | None


@dataclass(frozen=True)
class Post:
    """A synthetic post with its author, where and how it was shared, text and deletion."""

    id: str
    author: Author
    platform: str
    surface: str
    visibility: str
    jurisdiction: str
    created: datetime
    text: str
    deleted_at: datetime | None

    @property
    def is_eu_eea(self) -> bool:
        """Whether the post's jurisdiction is in the EU/EEA."""
        return self.jurisdiction in EU_EEA


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _when(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds))


def _sometimes(
    rng: random.Random, earliest: datetime, before: float, after: float
) -> datetime | None:
    """A time between ``earliest`` and the training run with probability ``before``, a
    time after the run with probability ``after``, else None."""
    roll = rng.random()
    if roll < before:
        return _when(rng, earliest, TRAINED_AT)
    if roll < before + after:
        return _when(rng, TRAINED_AT + timedelta(days=1), LATER)
    return None


def _author(rng: random.Random, n: int) -> Author:
    platform = "facebook" if rng.random() < 0.6 else "instagram"
    objected_at = _sometimes(rng, CORPUS_START, 0.03, 0.02)
    return Author(
        id=f"{PREFIX[platform]}:user:{n}",
        platform=platform,
        jurisdiction=_pick(rng, JURISDICTIONS),
        age="minor" if rng.random() < 0.06 else "adult",
        objected_at=objected_at,
    )


def _text(rng: random.Random, author: Author, n: int) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14)))
    extras = []
    if rng.random() < 0.15:
        extras.append(f"mail me at {author.id.split(':')[-1]}.{n % 97}@example.com")
    if rng.random() < 0.10:
        extras.append(f"call +1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}")
    if rng.random() < 0.25:
        extras.append(f"with @friend_{rng.randint(1, 5000)}")
    return " ".join([words.capitalize() + ".", *extras])


def _near_duplicate(rng: random.Random, text: str) -> str:
    """The same words with other case, spacing or trailing punctuation."""
    variants = [text.upper(), text.lower(), "  " + text.replace(" ", "  "), text + "!!"]
    return rng.choice(variants)


def generate(posts: int, seed: int) -> Iterator[Post]:
    """``posts`` posts from about ``posts // 8`` authors, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not secrets
    authors = [_author(rng, n) for n in range(max(1, posts // 8))]
    recent: list[str] = []
    for n in range(posts):
        author = rng.choice(authors)
        platform, surface, visibility = _pick_surface(rng, author.platform)
        roll = rng.random()
        if recent and roll < 0.04:
            text = rng.choice(recent)
        elif recent and roll < 0.07:
            text = _near_duplicate(rng, rng.choice(recent))
        else:
            text = _text(rng, author, n)
            recent.append(text)
            if len(recent) > 500:
                recent.pop(0)
        created = _when(rng, CORPUS_START, COLLECTED_AT)
        deleted_at = _sometimes(rng, COLLECTED_AT, 0.02, 0.03)
        yield Post(
            id=f"{PREFIX[platform]}:post:{n}",
            author=author,
            platform=platform,
            surface=surface,
            visibility=visibility,
            jurisdiction=author.jurisdiction,
            created=created,
            text=text,
            deleted_at=deleted_at,
        )


def _pick_surface(rng: random.Random, home: str) -> tuple[str, str, str]:
    choices = [s for s in SURFACES if s[0] == home]
    platform, surface, visibility, _ = rng.choices(choices, [s[3] for s in choices])[0]
    return platform, surface, visibility
