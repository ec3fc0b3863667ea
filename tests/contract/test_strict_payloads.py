"""Every reader sees the same statement: payloads must be their own RFC 8785 canonical
form, with our payload type, statement type, predicate types and well-formed digests.
Anything else is refused at append (nothing written) and reported by verify."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from lineage.crypto.dsse import MAX_ENVELOPE_BYTES, Envelope, sign_envelope
from lineage.crypto.merkle.compact import CompactRange
from lineage.crypto.merkle.hasher import leaf_hash
from lineage.crypto.note import Checkpoint
from lineage.errors import InputError
from lineage.ledger.seal import SEAL_META, seal
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.predicates import LINEAGE
from lineage.model.statement import Step, make_statement

from support.ledgers import T0, LedgerEnv, example_envelope
from support.problems import has_problem

Mutation = Callable[[bytes], bytes]


def _canonical_text(env: LedgerEnv) -> bytes:
    return example_envelope(env.collector, n=7).payload


def _edit(change: Callable[[dict[str, object]], None]) -> Mutation:
    def mutate(payload: bytes) -> bytes:
        statement = json.loads(payload)
        change(statement)
        return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()

    return mutate


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "duplicate predicate key": (
        lambda p: p.replace(b'"predicate":{', b'"predicate":{"step":{"name":"train"},', 1),
        "canonical form",
    ),
    "duplicate top-level key": (
        lambda p: p[:-1] + b',"predicateType":"https://lineage.dev/Lineage/v1"}',
        "canonical form",
    ),
    "NaN": (lambda p: p[:-1] + b',"x":NaN}', "NaN is not allowed"),
    "lone surrogate": (
        lambda p: p.replace(b'"run-1"', b'"run-\\ud800"'),
        "cannot be canonicalised",
    ),
    "integer beyond I-JSON": (lambda p: p[:-1] + b',"x":9007199254740993}', "canonicalised"),
    "pretty-printed": (lambda p: json.dumps(json.loads(p), indent=1).encode(), "canonical form"),
    "keys out of order": (
        lambda p: json.dumps(dict(reversed(json.loads(p).items())), separators=(",", ":")).encode(),
        "canonical form",
    ),
    "other statement type": (
        _edit(lambda s: s.update({"_type": "https://in-toto.io/Statement/v0.1"})),
        "_type",
    ),
    "foreign predicate type": (
        _edit(lambda s: s.update({"predicateType": "https://example.com/MyStep/v1"})),
        "not a lineage predicate type",
    ),
    "short digest": (
        _edit(lambda s: s["subject"][0]["digest"].update({"sha256": "ab"})),  # type: ignore[index]
        "64 lower-case hex",
    ),
    "unknown digest algorithm": (
        _edit(lambda s: s["subject"][0].update({"digest": {"crc32": "00000000"}})),  # type: ignore[index]
        "unknown digest algorithm",
    ),
}


def _signed(env: LedgerEnv, payload: bytes) -> Envelope:
    return sign_envelope(payload, env.collector)


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_a_non_canonical_or_foreign_payload_is_refused_and_nothing_is_written(
    env: LedgerEnv, case: str
) -> None:
    mutate, problem = MUTATIONS[case]
    payload = mutate(_canonical_text(env))
    assert payload != _canonical_text(env)
    before = (env.ledger.size(), env.ledger.latest_checkpoint())
    good = example_envelope(env.collector, n=1)
    with pytest.raises(InputError, match=problem) as caught:
        env.ledger.append([("ok", good), ("bad.jsonl:2", _signed(env, payload))], env.admin)
    assert caught.value.location == "bad.jsonl:2"
    assert (env.ledger.size(), env.ledger.latest_checkpoint()) == before


def test_verify_reports_a_non_canonical_entry_that_reached_the_store(env: LedgerEnv) -> None:
    """A writer that bypasses append (holding the log key, so the tree and checkpoint are
    consistent) still cannot get a non-canonical statement past verify."""
    payload = json.dumps(json.loads(_canonical_text(env)), indent=1).encode()
    entry = _signed(env, payload).canonical()
    store = env.ledger.store
    with store.append_session() as session:
        size = session.size()
        nodes = CompactRange.border_nodes(size)
        found = session.get_nodes(nodes)
        tree = CompactRange(size, [found[n] for n in nodes])
        leaf = leaf_hash(entry)
        session.add_entries([(size, leaf, entry)])
        session.add_nodes(tree.append(leaf))
        note = Checkpoint(env.ledger.origin, tree.size, tree.root()).sign(env.admin)
        session.add_checkpoint(tree.size, note)
        sealed = seal(env.ledger.origin, tree.size, session.signers(), env.admin)
        session.put_meta(SEAL_META, sealed)
    report = verify_ledger(store)
    assert has_problem(report, ProblemKind.MALFORMED, f"entry {size}: payload", entry=size)
    assert report.kinds() == {ProblemKind.MALFORMED}


def test_an_envelope_larger_than_verify_reads_is_refused_at_append(env: LedgerEnv) -> None:
    """Whatever append accepts, verify must be able to read back."""
    nodes = [["Dataset", f"ds:big-{n}", {"version": "v" * 1000}] for n in range(3200)]
    statement = make_statement(
        [{"name": "ds:big", "digest": {"sha256": "0" * 64}}],
        LINEAGE,
        Step("collect", "1", "run-1"),
        T0,
        {"nodes": nodes},
    )
    envelope = sign_envelope(statement.payload(), env.collector)
    assert len(envelope.payload) <= MAX_ENVELOPE_BYTES < len(envelope.canonical())
    size = env.ledger.size()
    with pytest.raises(InputError, match=r"big: envelope is larger than 4194304 bytes"):
        env.ledger.append([("big", envelope)], env.admin)
    assert env.ledger.size() == size
