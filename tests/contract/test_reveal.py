"""A privacy team reveals the raw platform ids behind pseudonyms, on every store: only
with the log key, each reveal logged first as a signed statement that names the
pseudonyms and the purpose but never the raw ids; an erased author has nothing left to
reveal; a copy of the ledger can reveal what the original could."""

from __future__ import annotations

import base64
import json

import pytest

from lineage.errors import ConfigurationError, InputError
from lineage.ledger.copy import copy_ledger
from lineage.ledger.erasure import erase_author
from lineage.ledger.log import Ledger
from lineage.ledger.reveal import reveal
from lineage.model.predicates import REVEAL
from lineage.query.resolve import resolve
from lineage.store import open_store

from support.ledgers import LedgerEnv
from support.policy_fixtures import build


def _ids(env: LedgerEnv, raw: str) -> tuple[str, str]:
    return resolve(env.ledger, None, post=f"fb:{raw}"), resolve(
        env.ledger, None, author=f"fb:user:{raw}"
    )


def test_a_reveal_opens_posts_and_authors_and_is_logged_without_them(env: LedgerEnv) -> None:
    build(env)
    post, author = _ids(env, "ok")
    other, _ = _ids(env, "minor")
    result = reveal(env.ledger, env.admin, [post, author, other], "DSAR ticket 42")
    assert result.raw(post) == "fb:ok" and result.raw(author) == "fb:user:ok"
    assert result.raw(other) == "fb:minor"
    logged = env.ledger.store.statements([result.entry])[result.entry]
    assert logged.predicate_type == REVEAL and logged.step == "lineage.admin"
    envelope = json.loads(env.ledger.entry(result.entry).body)
    statement = base64.b64decode(envelope["payload"]).decode()
    predicate = json.loads(statement)["predicate"]
    assert predicate["purpose"] == "DSAR ticket 42" and predicate["nodes"] == sorted(
        [post, author, other]
    )
    assert "fb:ok" not in statement and "fb:user:ok" not in statement


def test_only_the_log_key_reveals(env: LedgerEnv) -> None:
    build(env)
    post, _ = _ids(env, "ok")
    size = env.ledger.size()
    with pytest.raises(ConfigurationError, match="log key"):
        reveal(env.ledger, env.collector, [post], "curious")
    assert env.ledger.size() == size
    with pytest.raises(InputError, match="only posts and authors"):
        reveal(env.ledger, env.admin, ["model:m1"], "why not")
    with pytest.raises(InputError, match="say why"):
        reveal(env.ledger, env.admin, [post], " ")
    assert env.ledger.size() == size


def test_an_erased_author_has_nothing_left_to_reveal(env: LedgerEnv) -> None:
    build(env)
    post, author = _ids(env, "erased")
    erase_author(env.ledger, env.admin, "fb:user:erased")
    result = reveal(env.ledger, env.admin, [post, author], "after the erasure")
    assert result.raw(post) is None and result.raw(author) is None
    assert {r.why for r in result.revealed.values()} == {"its author was erased"}


def test_a_copy_reveals_what_the_original_did(
    env: LedgerEnv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    build(env)
    post, author = _ids(env, "br")
    target_url = f"sqlite:///{tmp_path_factory.mktemp('copy') / 'copy.db'}"
    target = open_store(target_url, create=True)
    try:
        copy_ledger(env.ledger.store, target)
    finally:
        target.close()
    copied = Ledger.open(target_url)
    try:
        result = reveal(copied, env.admin, [post, author], "audit of the copy")
    finally:
        copied.close()
    assert (result.raw(post), result.raw(author)) == ("fb:br", "fb:user:br")
