"""The independent Go verifier (verifiers/go: x/mod's signed notes, transparency-dev's
checkpoints and Merkle proofs, the standard library's Ed25519, a JCS library) agrees with
``lineage verify-bundle`` on every test bundle, good and broken: same verdict, and for a
broken one the same class and place of the first failure."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lineage.crypto.canonical import canonical_bytes
from lineage.crypto.dsse import parse_envelope
from lineage.crypto.keys import KeyDirectory
from lineage.crypto.note import verifier_key
from lineage.evidence.build import check_bundle, path_bundle, receipts_bundle
from lineage.evidence.format import read_bundle
from lineage.evidence.verify import verify_bundle
from lineage.ledger.erasure import erase_author, receipt_by_id
from lineage.ledger.log import Ledger
from lineage.model.predicates import ERASURE
from lineage.model.statement import parse_statement
from lineage.policy.document import read_policy
from lineage.policy.registry import register_policy

from support.bundles import MUTATIONS, flip_b64, mutated
from support.graph_fixtures import ids, ingest_hand_built_pipeline
from support.ledgers import LedgerEnv, ledger_env
from support.policy_fixtures import POLICY
from support.policy_fixtures import build as build_policy_fixture
from support.stores import STORES, fresh_store_url


def go_verdict(binary: Path, path: Path, *options: str) -> tuple[int, str, str]:
    """Exit status and the (class, where) of the first failure the Go verifier names."""
    done = subprocess.run(
        [str(binary), *options, str(path)], capture_output=True, text=True, timeout=60
    )
    first = done.stdout.splitlines()[0] if done.stdout else ""
    if done.returncode != 1:
        return done.returncode, "", ""
    assert first.startswith("NOT PROVEN: "), done.stdout + done.stderr
    kind, _, rest = first.removeprefix("NOT PROVEN: ").partition(" at ")
    return 1, kind, rest.partition(": ")[0]


def python_verdict(bundle: dict[str, Any], **kwargs: Any) -> tuple[int, str, str]:
    result = verify_bundle(read_bundle(canonical_bytes(bundle)), **kwargs)
    if result.failure is None:
        return 0, "", ""
    return 1, result.failure.kind, result.failure.where


@pytest.fixture(scope="module", params=STORES)
def made_path_bundle(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The hand-built pipeline's path bundle, made once per store for the tests that only
    change copies of it (a bundle is a file: once made, it no longer reads the store)."""
    root = tmp_path_factory.mktemp(f"path-{request.param}")
    with contextmanager(ledger_env)(root, fresh_store_url(request.param, root)) as env:
        graph = ingest_hand_built_pipeline(env)
        return path_bundle(graph.ledger, ids(graph)["fb:1"], "model:model-a-ft")


@pytest.fixture(scope="module", params=STORES)
def made_check_bundles(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[bool, dict[str, Any]]:
    """The check bundles of the policy fixture's model, by ``complete`` (False: listed),
    made once per store as :func:`made_path_bundle` is."""
    root = tmp_path_factory.mktemp(f"check-{request.param}")
    with contextmanager(ledger_env)(root, fresh_store_url(request.param, root)) as env:
        build_policy_fixture(env)
        policy = read_policy(POLICY)
        register_policy(env.ledger, env.admin, policy)
        return {
            complete: check_bundle(
                env.ledger, "model:m1", policy, POLICY.read_bytes(), complete=complete
            )[1]
            for complete in (False, True)
        }


@pytest.fixture
def bundle(made_path_bundle: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(made_path_bundle)


def test_go_proves_a_good_bundle(go_verifier: Path, graph: LedgerEnv, tmp_path: Path) -> None:
    post = ids(graph)["fb:1"]
    kept = graph.ledger.store.checkpoint_at(4)
    assert kept is not None
    bundle = path_bundle(graph.ledger, post, "model:model-a-ft", since=kept)
    path = tmp_path / "good.json"
    path.write_bytes(canonical_bytes(bundle))
    (tmp_path / "kept.note").write_text(kept)
    vkey = verifier_key(graph.ledger.origin, graph.ledger.log_public_key)
    done = subprocess.run(
        [str(go_verifier), "--log-key", vkey, "--since", str(tmp_path / "kept.note"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f'PROVEN: post "{post}" reaches artifact "model:model-a-ft"')
    assert "consistency: proven from the checkpoint of size 4" in done.stdout
    assert python_verdict(bundle, log_key=vkey, kept=kept) == (0, "", "")


@pytest.mark.parametrize("field_class", sorted(MUTATIONS))
def test_both_verifiers_name_the_same_first_failure(
    go_verifier: Path, bundle: dict[str, Any], tmp_path: Path, field_class: str
) -> None:
    broken, kind, where = mutated(bundle, field_class)
    path = tmp_path / "broken.json"
    path.write_bytes(canonical_bytes(broken))
    assert python_verdict(broken) == (1, kind, where)
    assert go_verdict(go_verifier, path) == (1, kind, where)


def test_both_refuse_another_log_key_a_foreign_checkpoint_and_a_bad_consistency_proof(
    go_verifier: Path, graph: LedgerEnv, tmp_path: Path
) -> None:
    bundle = path_bundle(graph.ledger, ids(graph)["fb:1"], "model:model-a-ft")
    other = KeyDirectory(tmp_path / "k").create("other")
    stranger = verifier_key(graph.ledger.origin, other.public)
    path = tmp_path / "b.json"
    path.write_bytes(canonical_bytes(bundle))
    assert go_verdict(go_verifier, path, "--log-key", stranger) == (1, "verifier-key", "log")
    assert python_verdict(bundle, log_key=stranger) == (1, "verifier-key", "log")

    forged = json.loads(json.dumps(bundle))
    forged["log"]["verifierKey"] = stranger
    path.write_bytes(canonical_bytes(forged))
    assert go_verdict(go_verifier, path) == (1, "checkpoint", "log")
    assert python_verdict(forged) == (1, "checkpoint", "log")

    kept = graph.ledger.store.checkpoint_at(4)
    assert kept is not None
    since = path_bundle(graph.ledger, ids(graph)["fb:1"], "model:model-a-ft", since=kept)
    since["consistency"]["hashes"][0] = flip_b64(since["consistency"]["hashes"][0])
    path.write_bytes(canonical_bytes(since))
    (tmp_path / "kept.note").write_text(kept)
    assert go_verdict(go_verifier, path, "--since", str(tmp_path / "kept.note")) == (
        1,
        "consistency",
        "log",
    )
    assert python_verdict(since, kept=kept) == (1, "consistency", "log")


@pytest.mark.parametrize(
    "content", ["{", '{"mediaType": "application/vnd.lineage.bundle+json", "version": 9}']
)
def test_both_call_an_unreadable_bundle_unreadable(
    go_verifier: Path, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert go_verdict(go_verifier, path)[0] == 2


CHECK_CHANGES = {
    "good": lambda b: None,
    "policy bytes": lambda b: b["policy"].update(document=base64.b64encode(b"x").decode()),
    "registration": lambda b: b["policy"].update(registration=1),
    "passed": lambda b: b["claim"].update(passed=True),
    "finding origin": lambda b: b["claim"]["findings"][0].update(origin="post:" + "cd" * 12),
}


@pytest.mark.parametrize("complete", [False, True], ids=["listed", "complete"])
@pytest.mark.parametrize("change", sorted(CHECK_CHANGES))
def test_both_verifiers_agree_on_check_bundles(
    go_verifier: Path,
    made_check_bundles: dict[bool, dict[str, Any]],
    tmp_path: Path,
    change: str,
    complete: bool,
) -> None:
    bundle = copy.deepcopy(made_check_bundles[complete])
    CHECK_CHANGES[change](bundle)
    path = tmp_path / "check.json"
    path.write_bytes(canonical_bytes(bundle))
    expected = python_verdict(bundle)
    assert (expected[0] == 0) == (change == "good")
    assert go_verdict(go_verifier, path) == expected


@pytest.mark.parametrize("change", ["good", "target", "answer"])
def test_both_verifiers_agree_on_receipts(
    go_verifier: Path, graph: LedgerEnv, tmp_path: Path, change: str
) -> None:
    admin = graph.keys.load("admin")
    erase_author(graph.ledger, admin, "ig:user:C")
    found = receipt_by_id(graph.ledger, _erasure_receipt_id(graph))
    bundle = receipts_bundle(graph.ledger, found.request.target, [found])
    if change == "target":
        bundle["claim"]["target"] = "subject:" + "ef" * 12
    elif change == "answer":
        bundle["claim"]["receipts"][0]["answeredBy"] = 0
    path = tmp_path / "receipts.json"
    path.write_bytes(canonical_bytes(bundle))
    expected = python_verdict(bundle)
    assert expected == ((0, "", "") if change == "good" else (1, "claim", "claim"))
    assert go_verdict(go_verifier, path) == expected


def _erasure_receipt_id(env: LedgerEnv) -> str:
    """The id of the only answered erasure request of the ledger."""
    for _, _, body in env.ledger.entries():
        statement = parse_statement(parse_envelope(body).payload)
        if statement.predicate_type == ERASURE:
            return f"{statement.predicate['request']}:{statement.predicate['item']}"
    raise AssertionError("no erasure recorded")


def test_both_refuse_a_bundle_with_the_checkpoint_of_another_ledger(
    go_verifier: Path, bundle: dict[str, Any], tmp_path: Path
) -> None:
    key = KeyDirectory(tmp_path / "b-keys").create("admin")
    other = Ledger.create(f"sqlite:///{tmp_path / 'b.db'}", key, origin=bundle["log"]["origin"])
    try:
        forged = json.loads(json.dumps(bundle))
        forged["log"]["checkpoint"] = other.latest_checkpoint()
        path = tmp_path / "forged.json"
        path.write_bytes(canonical_bytes(forged))
        assert python_verdict(forged) == (1, "checkpoint", "log")
        assert go_verdict(go_verifier, path) == (1, "checkpoint", "log")
        forged["log"]["verifierKey"] = verifier_key(other.origin, other.log_public_key)
        path.write_bytes(canonical_bytes(forged))
        assert python_verdict(forged) == (1, "authorisation", "entry 0")
        assert go_verdict(go_verifier, path) == (1, "authorisation", "entry 0")
    finally:
        other.close()


FULL_BATCH_CHANGES = {
    "edited item": (lambda items: [items[0].replace("rec:", "rec:0", 1), *items[1:]], "batch-path"),
    "not canonical": (lambda items: [items[0].replace('","', '", "', 1), *items[1:]], "item"),
    "one item short": (lambda items: items[:-1], "batch-path"),
}


@pytest.mark.parametrize("change", sorted(FULL_BATCH_CHANGES))
def test_both_verifiers_check_full_batches_alike(
    go_verifier: Path,
    made_check_bundles: dict[bool, dict[str, Any]],
    tmp_path: Path,
    change: str,
) -> None:
    bundle = copy.deepcopy(made_check_bundles[True])
    edit, kind = FULL_BATCH_CHANGES[change]
    position = next(
        n for n, b in enumerate(bundle["batches"]) if any("rec:" in i for i in b["items"][:1])
    )
    bundle["batches"][position]["items"] = edit(bundle["batches"][position]["items"])
    path = tmp_path / "complete.json"
    path.write_bytes(canonical_bytes(bundle))
    expected = (1, kind, f"batch {position}")
    assert python_verdict(bundle) == expected
    assert go_verdict(go_verifier, path) == expected
