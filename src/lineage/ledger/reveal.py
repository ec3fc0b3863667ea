"""Reveal the raw platform ids behind pseudonyms, for a privacy team: only with the log
key, and only after a statement saying which pseudonyms, why and when is in the ledger
(signed by that key), so every reveal leaves a trace an auditor can read.

A post's raw id is opened from its author's sealed ids (found through the post's
``AUTHORED`` edge), an author's from their subject; erased subjects have no key left,
and ids recorded before sealing existed have nothing to open: both are reported as not
revealable, with why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lineage.crypto.keys import SigningKey
from lineage.errors import InputError, VerificationError
from lineage.ledger.log import Ledger
from lineage.model.graph import AUTHORED, POST, SUBJECT, kind_of
from lineage.model.identity import Subject
from lineage.model.predicates import REVEAL

MAX_REVEALED = 10_000
MAX_PURPOSE = 500


@dataclass(frozen=True)
class Revealed:
    """A pseudonym and the raw platform id behind it (None, with why, if there is none)."""

    node: str
    raw: str | None
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {"node": self.node, "raw": self.raw, **({"why": self.why} if self.why else {})}


@dataclass(frozen=True)
class RevealResult:
    """What was revealed, and the entry that logged the reveal."""

    entry: int
    revealed: dict[str, Revealed]

    def raw(self, node: str) -> str | None:
        """The raw id behind ``node``, if it was revealed."""
        found = self.revealed.get(node)
        return found.raw if found else None

    def to_json(self) -> dict[str, Any]:
        """As a JSON object."""
        return {
            "logged_in_entry": self.entry,
            "revealed": [r.to_json() for _, r in sorted(self.revealed.items())],
        }


def reveal(ledger: Ledger, log_key: SigningKey, nodes: Sequence[str], purpose: str) -> RevealResult:
    """Log a reveal of ``nodes`` (posts and subjects) for ``purpose``, then open them."""
    wanted = sorted(set(nodes))
    if not wanted:
        raise InputError("nothing to reveal")
    if len(wanted) > MAX_REVEALED:
        raise InputError(f"at most {MAX_REVEALED:,} pseudonyms are revealed at once")
    if not purpose.strip() or len(purpose) > MAX_PURPOSE:
        raise InputError(f"say why (--purpose), in at most {MAX_PURPOSE} characters")
    for node in wanted:
        if kind_of(node) not in (POST, SUBJECT):
            raise InputError(f"{node}: only posts and authors have raw platform ids")
    fields = {"nodes": wanted, "purpose": purpose.strip(), "count": len(wanted)}
    entry = ledger.admin_statement(log_key, (f"reveal:{len(wanted)}", "0" * 64), REVEAL, fields)
    return RevealResult(entry, _open(ledger, wanted))


def _open(ledger: Ledger, nodes: list[str]) -> dict[str, Revealed]:
    store = ledger.store
    identities = store.identities()
    posts = [n for n in nodes if n.startswith("post:")]
    author_of = {e.down: e.up for e in store.edges_into(posts, AUTHORED)} if posts else {}
    opened: dict[str, dict[str, str]] = {}

    def raw_ids(subject_node: str) -> dict[str, str] | None:
        """pseudonym -> raw id of everything sealed for one subject (None: no key)."""
        if subject_node not in opened:
            found = identities.subject_of_node(subject_node)
            if found is None:
                return None
            subject = Subject(*found)
            names: dict[str, str] = {}
            for lookup, sealed in identities.sealed_of(subject.lookup):
                try:
                    raw = subject.unseal(sealed, lookup)
                except VerificationError:
                    continue  # not this subject's: a row moved or altered in the key tables
                names[subject.node_id if lookup == subject.lookup else subject.post_id(raw)] = raw
            opened[subject_node] = names
        return opened[subject_node]

    revealed: dict[str, Revealed] = {}
    for node in nodes:
        owner = node if node.startswith("subject:") else author_of.get(node)
        if owner is None:
            revealed[node] = Revealed(node, None, "no author recorded for it")
            continue
        names = raw_ids(owner)
        if names is None:
            revealed[node] = Revealed(node, None, "its author was erased")
        elif node not in names:
            revealed[node] = Revealed(
                node,
                None,
                "no sealed id opens to it (recorded before raw ids were sealed, or the key"
                " tables were altered)",
            )
        else:
            revealed[node] = Revealed(node, names[node])
    return revealed
