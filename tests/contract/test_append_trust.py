"""Append trusts only the log: who may sign comes from the registry the log key sealed
(a ledger without a seal is sealed only after a full verification), and a refused
append writes nothing at all, not even the subject keys and id bindings its
statements were made with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.crypto.keys import KeyDirectory, SigningKey
from lineage.errors import InputError, NodeConflictError, VerificationError
from lineage.ingest.pipeline import Lineage
from lineage.ledger.log import Ledger
from lineage.ledger.seal import SEAL_META
from lineage.ledger.verify import ProblemKind, verify_ledger
from lineage.model.identity import POST_ID, Identities
from lineage.model.times import format_time, parse_time

from support.ledgers import LedgerEnv, example_envelope
from support.problems import has_problem
from support.stores import edit, stored_values

SINCE = "2024-01-01T00:00:00Z"


def _forged_signer_row(url: str, key: SigningKey) -> None:
    """Slip ``key`` into the stored registry for step ``collect``, as a writer with
    access to the store could."""
    steps = json.dumps(["collect"])
    edit(
        url,
        sql=[
            "INSERT INTO signers VALUES"
            f" ('{key.keyid}', 'intruder', '{key.public.b64()}', '{steps}',"
            f" '{SINCE}', NULL, NULL, 1, NULL)"
        ],
        cypher=[
            f"CREATE (:Signer {{keyid: '{key.keyid}', name: 'intruder',"
            f" public_key: '{key.public.b64()}', steps: ['collect'], valid_from: '{SINCE}',"
            " valid_until: null, revoked_at: null, registered_in: 1, revoked_in: null})"
        ],
    )


def _state(env: LedgerEnv) -> tuple[int, str | None]:
    return env.ledger.size(), env.ledger.latest_checkpoint()


def test_a_signer_row_slipped_into_the_store_authorises_nothing(env: LedgerEnv) -> None:
    intruder = SigningKey.generate("intruder")
    _forged_signer_row(env.url, intruder)
    before = _state(env)
    with pytest.raises(VerificationError, match="signer registry differs from the one the log"):
        env.ledger.append([("x", example_envelope(intruder, n=5))], env.admin)
    assert _state(env) == before
    assert has_problem(verify_ledger(env.ledger.store), ProblemKind.SIGNER_REGISTRY)


def _remove_seal(url: str) -> None:
    edit(
        url,
        sql=[f"DELETE FROM meta WHERE key = '{SEAL_META}'"],
        cypher=[f"MATCH (m:LedgerMeta {{key: '{SEAL_META}'}}) DELETE m"],
    )


def test_without_a_seal_nothing_is_appended_until_a_full_verification_seals(
    env: LedgerEnv,
) -> None:
    _remove_seal(env.url)
    before = _state(env)
    with pytest.raises(VerificationError, match=r"no seal.*lineage verify --seal"):
        env.append([example_envelope(env.collector, n=1)])
    assert _state(env) == before
    report = verify_ledger(env.ledger.store)
    assert report.ok and not report.sealed
    env.ledger.seal_verified(env.admin, report)
    assert verify_ledger(env.ledger.store).sealed
    env.append([example_envelope(env.collector, n=1)])
    assert env.ledger.size() == before[0] + 1


def test_a_forged_signer_row_without_a_seal_is_never_sealed(env: LedgerEnv) -> None:
    intruder = SigningKey.generate("intruder")
    _remove_seal(env.url)
    _forged_signer_row(env.url, intruder)
    report = verify_ledger(env.ledger.store)
    assert has_problem(report, ProblemKind.SIGNER_REGISTRY)
    with pytest.raises(VerificationError, match="did not verify"):
        env.ledger.seal_verified(env.admin, report)
    before = _state(env)
    with pytest.raises(VerificationError, match="no seal"):
        env.ledger.append([("x", example_envelope(intruder, n=5))], env.admin)
    assert _state(env) == before


def test_a_seal_is_refused_when_the_log_grew_since_its_verification(env: LedgerEnv) -> None:
    report = verify_ledger(env.ledger.store)
    env.append([example_envelope(env.collector, n=1)])
    with pytest.raises(VerificationError, match="verify again"):
        env.ledger.seal_verified(env.admin, report)


def test_an_old_seal_brought_back_is_refused(env: LedgerEnv) -> None:
    """Rolling the registry back (say, to before a revocation) needs the old seal, which
    names the old log size."""
    old = env.ledger.store.meta()[SEAL_META]
    env.append([example_envelope(env.collector, n=1)])
    edit(
        env.url,
        sql=[f"UPDATE meta SET value = '{old}' WHERE key = '{SEAL_META}'"],
        cypher=[f"MATCH (m:LedgerMeta {{key: '{SEAL_META}'}}) SET m.value = '{old}'"],
    )
    with pytest.raises(VerificationError, match="sealed at size 2"):
        env.append([example_envelope(env.collector, n=2)])
    report = verify_ledger(env.ledger.store)
    assert has_problem(report, ProblemKind.SIGNER_REGISTRY, "signer registry seal")
    assert report.kinds() == {ProblemKind.SIGNER_REGISTRY}


def test_each_append_seals_the_registry_it_leaves(env: LedgerEnv) -> None:
    worker = env.keys.create("worker")
    env.ledger.register_key(env.admin, "worker", worker.public, ["collect"], parse_time(SINCE))
    env.append([example_envelope(worker, n=3)])
    assert verify_ledger(env.ledger.store).ok


def _pipeline_env(env: LedgerEnv) -> KeyDirectory:
    env.keys.create("outsider")
    env.ledger.register_key(
        env.admin, "outsider", env.keys.load_public("outsider"), ["other"], parse_time(SINCE)
    )
    env.ledger.close()
    return env.keys


def _origin(lineage: Lineage, step_key: str, post: str, time: str = "2024-06-01T00:00:00Z") -> None:
    step = lineage.step("collect", key=step_key, run="r", time=time)
    step.origin(
        post,
        platform="facebook",
        surface="feed",
        visibility="public",
        created="2024-05-01T00:00:00Z",
        jurisdiction="US",
        author="fb:user:refused",
    )
    step.flush()


@pytest.mark.parametrize("why", ["key not allowed for the step", "key not yet valid"])
def test_a_refused_ingest_writes_no_subject_key_and_no_binding(
    env: LedgerEnv, tmp_path: Path, why: str
) -> None:
    keys = _pipeline_env(env)
    before = sorted(stored_values(env.url))
    key, time = ("outsider", "2024-06-01T00:00:00Z")
    if why == "key not yet valid":
        key, time = ("collector", format_time(parse_time("2023-06-01T00:00:00Z")))
    with Lineage.open(env.url, keys_dir=keys.path) as lineage, pytest.raises(InputError):
        _origin(lineage, key, "fb:refused", time)
    assert sorted(stored_values(env.url)) == before
    env.ledger = Ledger.open(env.url)
    assert Identities(env.ledger.store.identities()).resolve(POST_ID, "fb:refused") is None


def test_a_node_conflict_writes_no_subject_key_either(env: LedgerEnv) -> None:
    keys = _pipeline_env(env)
    with Lineage.open(env.url, keys_dir=keys.path) as lineage:
        step = lineage.step("collect", key="collector", run="r", time="2024-06-01T00:00:00Z")
        step.shard("s1", sha256="00" * 32, size=1, record_count=1)
    before = sorted(stored_values(env.url))
    with Lineage.open(env.url, keys_dir=keys.path) as lineage, pytest.raises(NodeConflictError):
        step = lineage.step("collect", key="collector", run="r", time="2024-06-02T00:00:00Z")
        step.origin(
            "fb:conflict",
            platform="facebook",
            surface="feed",
            visibility="public",
            created="2024-05-01T00:00:00Z",
            jurisdiction="US",
            author="fb:user:conflict",
        )
        step.shard("s1", sha256="11" * 32, size=1, record_count=1)
        step.flush()
    assert sorted(stored_values(env.url)) == before
