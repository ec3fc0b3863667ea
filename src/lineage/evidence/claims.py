"""The claims a bundle can prove (``docs/bundle.md``, "Claims"), each checked against the
entries and items the bundle proved: a post's path to an artifact, a person's receipts,
a compliance check's outcome."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lineage.errors import LineageError
from lineage.evidence.outcome import Disclosed, ProvenEntry, claim_failure
from lineage.evidence.recompute import recompute_check, require_coverage
from lineage.model.graph import DROPPED, flow_ends, kind_of
from lineage.model.predicates import ERASURE
from lineage.model.requests import ERASURE as ERASURE_REQUEST
from lineage.model.times import parse_time

UNKNOWN_ORIGIN = "unknown-origin"
Entries = dict[int, ProvenEntry]
ClaimCheck = Callable[[dict[str, Any], "Entries", list[Disclosed], "CheckInputs"], str]
MAX_VISITS = 20_000_000
"""Nodes a claim's path checks may visit in all (a hostile bundle is bounded work)."""


@dataclass(frozen=True)
class CheckInputs:
    """What a complete ``check`` claim needs beyond the items, to evaluate the policy
    again (:mod:`.recompute`): the policy document, the full batches, the log size."""

    document: bytes | None
    batches: dict[int, bytes]
    size: int


def check_claim(
    claim: dict[str, Any], entries: Entries, disclosed: list[Disclosed], inputs: CheckInputs
) -> str:
    """What ``claim`` proves, in one sentence the verifier writes itself (never the
    claim's own ``text``); :class:`NotProvenError` (class ``claim``) unless it follows."""
    kind = claim.get("kind")
    check = _CLAIMS.get(kind) if isinstance(kind, str) else None
    if check is None:
        raise claim_failure(f"unknown claim kind {str(kind)[:40]!r}")
    return check(claim, entries, disclosed, inputs)


class Flow:
    """The disclosed edges as a graph, in the direction data flows; every walk counts
    against :data:`MAX_VISITS`."""

    def __init__(self, disclosed: list[Disclosed]) -> None:
        self.down: dict[str, list[str]] = {}
        self.up: dict[str, list[str]] = {}
        self.visits = 0
        self._reached: dict[str, set[str]] = {}
        for item in disclosed:
            if item.section != "edges" or item.value[0] == DROPPED:
                continue
            upstream, downstream = flow_ends(*item.value)
            self.down.setdefault(upstream, []).append(downstream)
            self.up.setdefault(downstream, []).append(upstream)

    def _reach(self, start: str, step: dict[str, list[str]]) -> set[str]:
        """Nodes reached from ``start`` along one edge or more."""
        seen: set[str] = set()
        queue = deque(step.get(start, []))
        while queue:
            node = queue.popleft()
            if node not in seen:
                seen.add(node)
                self.visits += 1
                if self.visits > MAX_VISITS:
                    raise claim_failure(f"the claim's paths visit more than {MAX_VISITS} nodes")
                queue.extend(step.get(node, []))
        return seen

    def reaches(self, start: str, end: str) -> bool:
        """Whether ``end`` is downstream of ``start`` (one edge or more)."""
        reached = self._reached.get(start)
        if reached is None:
            reached = self._reached[start] = self._reach(start, self.down)
        return end in reached

    def upstream_of(self, node: str) -> set[str]:
        """Every node upstream of ``node``."""
        return self._reach(node, self.up)


def _path(
    claim: dict[str, Any], entries: Entries, disclosed: list[Disclosed], inputs: CheckInputs
) -> str:
    post, artifact = claim.get("post"), claim.get("artifact")
    if not isinstance(post, str) or not isinstance(artifact, str):
        raise claim_failure("a path claim names a post and an artifact")
    if not Flow(disclosed).reaches(post, artifact):
        raise claim_failure(f"the disclosed edges do not lead from {post} to {artifact}")
    return f"{post} reaches {artifact} through signed, logged edges"


def _receipts(
    claim: dict[str, Any], entries: Entries, disclosed: list[Disclosed], inputs: CheckInputs
) -> str:
    target, listed = claim.get("target"), claim.get("receipts")
    if not isinstance(target, str) or not isinstance(listed, list) or not listed:
        raise claim_failure("a receipts claim names a target and receipts")
    requests = {(d.entry, d.position): d.value for d in disclosed if d.section == "requests"}
    for n, receipt in enumerate(listed):
        if not isinstance(receipt, dict) or "answeredBy" not in receipt:
            raise claim_failure(f"receipt {n} is not an object with entry, position and answeredBy")
        entry, position, answer = (
            receipt.get("entry"),
            receipt.get("position"),
            receipt["answeredBy"],
        )
        request = requests.get((entry, position)) if type(entry) is type(position) is int else None
        if request is None:
            raise claim_failure(f"receipt {n}: its request is not disclosed")
        if request[1] != target:
            raise claim_failure(f"receipt {n}: the request is about another target")
        if answer is None:
            continue
        erasure = entries.get(answer) if type(answer) is int else None
        if erasure is None or erasure.statement.predicate_type != ERASURE:
            raise claim_failure(f"receipt {n}: entry {answer} is not an Erasure statement")
        predicate = erasure.statement.predicate
        item = predicate.get("item", position)
        if predicate.get("request") != entry or type(item) is not int or item != position:
            raise claim_failure(f"receipt {n}: entry {answer} answers another request")
        if request[0] != ERASURE_REQUEST:
            raise claim_failure(
                f"receipt {n}: a {request[0]} request is not answered by an erasure"
            )
    answered = sum(1 for receipt in listed if receipt["answeredBy"] is not None)
    return (
        f"{len(listed)} request(s) about {target} are recorded in the log"
        f" ({answered} answered by a signed erasure)"
    )


def _check(
    claim: dict[str, Any], entries: Entries, disclosed: list[Disclosed], inputs: CheckInputs
) -> str:
    artifact, counts, findings = claim.get("artifact"), claim.get("counts"), claim.get("findings")
    if not isinstance(artifact, str) or not isinstance(counts, dict):
        raise claim_failure("a check claim names an artifact and its counts")
    try:
        kind_of(artifact)
        as_of = claim.get("asOf")
        if as_of is not None:
            parse_time(as_of, "asOf")
    except LineageError as exc:
        raise claim_failure(f"the claim's artifact or asOf is malformed ({exc})") from exc
    if any(type(counts.get(n)) is not int or counts[n] < 0 for n in _COUNTS):
        raise claim_failure(f"a check claim counts {', '.join(_COUNTS)} as integers of 0 or more")
    if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
        raise claim_failure("a check claim lists its findings as objects")
    if claim.get("passed") is not (counts["violations"] == 0):
        raise claim_failure("passed must be true exactly when there are no violations")
    flow = Flow(disclosed)
    upstream = flow.upstream_of(artifact)
    for n, finding in enumerate(findings):
        origin, record = finding.get("origin"), finding.get("record")
        if not isinstance(record, str):
            raise claim_failure(f"finding {n} names no record")
        shown = origin is not None or finding.get("rule") == UNKNOWN_ORIGIN
        if origin is not None and (not isinstance(origin, str) or not flow.reaches(origin, record)):
            raise claim_failure(
                f"finding {n}: the disclosed edges do not lead from {origin} to {record}"
            )
        if shown and record not in upstream:
            raise claim_failure(
                f"finding {n}: the disclosed edges do not lead from {record} to {artifact}"
            )
    policy = claim.get("policy") or {}
    against = f"{policy.get('id')} {policy.get('version')}"
    as_of = f" as of {claim['asOf']}" if claim.get("asOf") is not None else ""
    if claim.get("complete") is not True:
        return (
            f"the {len(findings)} listed finding(s) of {artifact} against {against}{as_of}"
            " are shown by signed paths; the counts and the outcome are the operator's"
            " statement, not proven (a complete bundle proves them)"
        )
    require_coverage(entries, inputs.batches, inputs.size)
    posts = sum(1 for node in upstream if node.startswith("post:"))
    if posts != counts["posts"]:
        raise claim_failure(
            f"{posts} posts reach {artifact} in the bundle, the claim counts {counts['posts']}"
        )
    recompute_check(claim, entries, disclosed, inputs.document, inputs.batches, inputs.size)
    verdict = "passes" if counts["violations"] == 0 else "fails"
    return (
        f"{artifact} {verdict} {against}{as_of}: {counts['violations']} violation(s),"
        f" {counts['notices']} notice(s) over {counts['origins']} origin(s), evaluated"
        " again over the bundle"
    )


_COUNTS = ("origins", "posts", "violations", "notices")
_CLAIMS: dict[str, ClaimCheck] = {"path": _path, "receipts": _receipts, "check": _check}
