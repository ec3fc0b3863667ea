"""Appending: authorisation, atomicity, idempotence, proofs against checkpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lineage.crypto.dsse import Envelope, sign_envelope
from lineage.crypto.keys import SigningKey
from lineage.crypto.merkle.verify import verify_consistency, verify_inclusion
from lineage.crypto.note import open_checkpoint
from lineage.errors import ConfigurationError, InputError
from lineage.ledger.log import Ledger, checkpoint_of
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.predicates import KEY_REVOCATION
from lineage.model.statement import ADMIN_STEP, Step, make_statement
from lineage.model.times import format_time, now

from support.ledgers import T0, LedgerEnv, example_envelope, registration_envelope
from support.problems import has_problem
from support.stores import edit


def revocation_envelope(admin: SigningKey, key: SigningKey, at: object) -> Envelope:
    statement = make_statement(
        [{"name": f"key:{key.keyid}", "digest": {"sha256": key.keyid}}],
        KEY_REVOCATION,
        Step(ADMIN_STEP),
        now(),
        {"keyid": key.keyid, "revokedAt": format_time(at)},  # type: ignore[arg-type]
    )
    return sign_envelope(statement.payload(), admin)


def snapshot(env: LedgerEnv) -> tuple[int, str | None, int]:
    return env.ledger.size(), env.ledger.latest_checkpoint(), len(env.ledger.store.signers())


def test_a_fresh_ledger_starts_with_the_log_key_registering_itself(env: LedgerEnv) -> None:
    signers = {s.name: s for s in env.ledger.store.signers()}
    assert signers["admin"].steps == (ADMIN_STEP,) and signers["admin"].registered_in == 0
    assert signers["collector"].steps == ("collect",)
    assert verify_ledger(env.ledger.store).ok


def test_append_adds_entries_and_a_checkpoint_that_commits_to_them(env: LedgerEnv) -> None:
    result = env.ledger.append(
        [(f"t:{i}", example_envelope(env.collector, n=i)) for i in range(10)], env.admin
    )
    assert (result.added, result.duplicates, result.size) == (10, 0, 12)
    assert result.checkpoint is not None
    checkpoint = open_checkpoint(result.checkpoint, env.ledger.origin, env.admin.public)
    assert checkpoint.size == 12 and checkpoint.root == env.ledger.root(12)
    proof = env.ledger.inclusion_proof(5)
    verify_inclusion(5, 12, proof.leaf_hash, proof.hashes, checkpoint.root)


def test_appending_the_same_envelopes_again_adds_nothing(env: LedgerEnv) -> None:
    batch = [(f"t:{i}", example_envelope(env.collector, n=i)) for i in range(5)]
    env.ledger.append(batch, env.admin)
    before = snapshot(env)
    again = env.ledger.append(batch + batch, env.admin)
    assert (again.added, again.duplicates, again.checkpoint) == (0, 10, None)
    assert snapshot(env) == before


def test_consistency_between_two_checkpoints(env: LedgerEnv) -> None:
    old = checkpoint_of(env.ledger.latest_checkpoint() or "")
    env.ledger.append(
        [(f"t:{i}", example_envelope(env.collector, n=i)) for i in range(7)], env.admin
    )
    proof = env.ledger.consistency_proof(old.size, env.ledger.size())
    verify_consistency(old.size, 9, old.root, env.ledger.root(9), proof)


@pytest.mark.parametrize(
    "case",
    [
        "unknown key",
        "wrong step",
        "bad signature",
        "before validity",
        "revoked",
        "not admin registers",
    ],
)
def test_refused_statements_write_nothing_and_name_their_line(env: LedgerEnv, case: str) -> None:
    stranger = SigningKey.generate("stranger")
    good = [example_envelope(env.collector, n=i) for i in range(3)]
    if case == "unknown key":
        bad = example_envelope(stranger)
        match = "unknown key"
    elif case == "wrong step":
        bad = example_envelope(env.collector, step="train")
        match = "not authorised for step 'train'"
    elif case == "bad signature":
        real = example_envelope(env.collector, n=99)
        bad = Envelope(
            real.payload_type,
            real.payload,
            real.keyid,
            bytes([real.signature[0] ^ 1]) + real.signature[1:],
        )
        match = "signature does not verify"
    elif case == "before validity":
        bad = example_envelope(env.collector, time=T0 - timedelta(days=1))
        match = "not yet valid"
    elif case == "revoked":
        env.append([revocation_envelope(env.admin, env.collector, T0 + timedelta(days=1))])
        good = [example_envelope(env.collector, n=i) for i in range(3)]
        bad = example_envelope(env.collector, time=T0 + timedelta(days=2))
        match = "is revoked"
    else:
        bad = registration_envelope(env.collector, stranger, ["collect"])
        match = "not authorised for step 'lineage.admin'"
    before = snapshot(env)
    located = [(f"in.jsonl:{i + 1}", e) for i, e in enumerate([*good, bad])]
    with pytest.raises(InputError, match=match) as caught:
        env.ledger.append(located, env.admin)
    assert caught.value.location == "in.jsonl:4"
    assert snapshot(env) == before


def test_statements_before_a_revocation_time_remain_acceptable(env: LedgerEnv) -> None:
    env.append([revocation_envelope(env.admin, env.collector, T0 + timedelta(days=10))])
    result = env.ledger.append(
        [("t", example_envelope(env.collector, time=T0 + timedelta(days=9)))], env.admin
    )
    assert result.added == 1
    assert verify_ledger(env.ledger.store).ok


def test_a_registration_in_the_same_append_authorises_later_lines(env: LedgerEnv) -> None:
    trainer = SigningKey.generate("trainer")
    statement = example_envelope(trainer, step="train")
    result = env.ledger.append(
        [("a", registration_envelope(env.admin, trainer, ["train"])), ("b", statement)], env.admin
    )
    assert result.added == 2
    assert verify_ledger(env.ledger.store).ok


def test_a_registered_name_cannot_be_taken_by_another_key(env: LedgerEnv) -> None:
    impostor = SigningKey.generate("collector")
    with pytest.raises(InputError, match="already used"):
        env.append([registration_envelope(env.admin, impostor, ["collect"])])


def test_append_needs_the_log_key(env: LedgerEnv) -> None:
    with pytest.raises(ConfigurationError, match="not this ledger's log key"):
        env.ledger.append([("x", example_envelope(env.collector))], env.collector)


def test_opening_a_missing_store_says_how_to_create_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="lineage init"):
        Ledger.open(f"sqlite:///{tmp_path / 'absent.db'}")


def test_verify_replays_signers_from_the_log_not_the_table(env: LedgerEnv) -> None:
    edit(
        env.url,
        sql=["UPDATE signers SET steps = '[\"collect\", \"train\"]' WHERE name = 'collector'"],
        cypher=["MATCH (s:Signer {name: 'collector'}) SET s.steps = ['collect', 'train']"],
    )
    report = verify_ledger(env.ledger.store)
    assert not report.ok
    about = f"signer registry: key {env.collector.keyid[:16]}"
    assert has_problem(report, ProblemKind.SIGNER_REGISTRY, about)
    assert report.kinds() == {ProblemKind.SIGNER_REGISTRY}


def test_inclusion_proof_for_missing_entry_is_an_error(env: LedgerEnv) -> None:
    from lineage.errors import OutOfRangeError

    with pytest.raises(OutOfRangeError, match="entry 5 does not exist"):
        env.ledger.inclusion_proof(5)
