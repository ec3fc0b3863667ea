"""One flipped byte anywhere in the stored ledger makes verify fail and say where."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from lineage.crypto.merkle.nodes import node_key

from support.cli import run_cli
from support.ledgers import LedgerEnv, example_envelope

ENTRY = 6


@pytest.fixture
def filled(sqlite_env: LedgerEnv) -> LedgerEnv:
    env = sqlite_env
    env.append([example_envelope(env.collector, n=i) for i in range(14)])
    env.append([example_envelope(env.collector, n=i) for i in range(14, 20)])
    env.ledger.close()
    return env


def db_path(env: LedgerEnv) -> Path:
    return env.root / "lineage.db"


def verify_fails_naming(env: LedgerEnv, *expected: str) -> str:
    result = run_cli("verify", "--db", env.url)
    assert result.exit_code == 1, result.output
    assert any(e in result.output for e in expected), (expected, result.output)
    return result.output


def sql(env: LedgerEnv, statement: str, params: tuple[object, ...] = ()) -> None:
    db = sqlite3.connect(db_path(env))
    db.execute(statement, params)
    db.commit()
    db.close()


def flip_blob(
    env: LedgerEnv, table: str, column: str, where: str, key: object, position: int = 5
) -> None:
    db = sqlite3.connect(db_path(env))
    value = bytearray(
        db.execute(
            f"SELECT {column} FROM {table} WHERE {where} = ?",
            (key,),
        ).fetchone()[0]
    )
    value[position] ^= 0x01
    db.execute(f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (bytes(value), key))
    db.commit()
    db.close()


def test_the_untouched_ledger_verifies(filled: LedgerEnv) -> None:
    result = run_cli("verify", "--db", filled.url)
    assert result.exit_code == 0, result.output
    assert "verified: 22 entries" in result.output


def test_flipped_byte_in_an_entry(filled: LedgerEnv) -> None:
    flip_blob(filled, "entries", "body", "idx", ENTRY, position=40)
    verify_fails_naming(filled, f"entry {ENTRY}: ")


def test_flipped_byte_in_a_signature(filled: LedgerEnv) -> None:
    db = sqlite3.connect(db_path(filled))
    body = json.loads(db.execute("SELECT body FROM entries WHERE idx = ?", (ENTRY,)).fetchone()[0])
    sig = bytearray(base64.b64decode(body["signatures"][0]["sig"]))
    sig[10] ^= 0x80
    body["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    import rfc8785

    db.execute("UPDATE entries SET body = ? WHERE idx = ?", (rfc8785.dumps(body), ENTRY))
    db.commit()
    db.close()
    output = verify_fails_naming(filled, f"entry {ENTRY}: signature does not verify")
    assert f"entry {ENTRY}: entry bytes do not match" in output


def test_flipped_byte_in_a_leaf_hash(filled: LedgerEnv) -> None:
    flip_blob(filled, "entries", "leaf_hash", "idx", ENTRY)
    verify_fails_naming(filled, f"entry {ENTRY}: entry bytes do not match their recorded leaf")


@pytest.mark.parametrize(("level", "index"), [(0, 3), (1, 2), (2, 1), (3, 0), (4, 0)])
def test_flipped_byte_in_a_tree_hash(filled: LedgerEnv, level: int, index: int) -> None:
    flip_blob(filled, "tree_nodes", "hash", "id", node_key((level, index)))
    verify_fails_naming(filled, f"tree node level {level} index {index}: stored")


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("size", "checkpoint at size 22: "),
        ("root", "checkpoint at size 22: "),
        ("signature", "checkpoint at size 22: "),
    ],
)
def test_flipped_byte_in_a_checkpoint(filled: LedgerEnv, part: str, expected: str) -> None:
    db = sqlite3.connect(db_path(filled))
    note = db.execute("SELECT note FROM checkpoints WHERE size = 22").fetchone()[0]
    lines = note.split("\n")
    if part == "size":
        lines[1] = "23"
    elif part == "root":
        lines[2] = ("B" if lines[2][0] != "B" else "C") + lines[2][1:]
    else:
        lines[4] = lines[4][:-6] + ("A" if lines[4][-6] != "A" else "B") + lines[4][-5:]
    db.execute("UPDATE checkpoints SET note = ? WHERE size = 22", ("\n".join(lines),))
    db.commit()
    db.close()
    verify_fails_naming(filled, expected)


def test_a_deleted_last_entry_is_found(filled: LedgerEnv) -> None:
    sql(filled, "DELETE FROM entries WHERE idx = 21")
    verify_fails_naming(filled, "checkpoint at size 22: the log has only 21 entries")


def test_a_deleted_middle_entry_is_found(filled: LedgerEnv) -> None:
    sql(filled, "DELETE FROM entries WHERE idx = 9")
    verify_fails_naming(filled, "entry 9: missing")


def test_entries_without_checkpoint_are_found(filled: LedgerEnv) -> None:
    sql(filled, "DELETE FROM checkpoints WHERE size = 22")
    verify_fails_naming(filled, "entries 16 to 21 are not covered by a checkpoint")


def test_a_replaced_log_key_is_found(filled: LedgerEnv) -> None:
    other = base64.b64encode(bytes(32)).decode()
    sql(filled, "UPDATE meta SET value = ? WHERE key = 'log_public_key'", (other,))
    verify_fails_naming(filled, "checkpoint at size")


def _raw_flip(path: Path, needle: bytes, occurrence: int, offset: int) -> None:
    data = bytearray(path.read_bytes())
    start = -1
    for _ in range(occurrence + 1):
        start = data.find(needle, start + 1)
    assert start >= 0, "value not found in the file"
    data[start + offset] ^= 0x01
    path.write_bytes(bytes(data))


def _values(env: LedgerEnv) -> dict[str, Callable[[sqlite3.Connection], bytes]]:
    return {
        "entry": lambda db: db.execute("SELECT body FROM entries WHERE idx = 6").fetchone()[0],
        "tree": lambda db: db.execute(
            "SELECT hash FROM tree_nodes WHERE id = ?", (node_key((2, 1)),)
        ).fetchone()[0],
        "checkpoint": lambda db: (
            db.execute("SELECT note FROM checkpoints WHERE size = 22").fetchone()[0].encode()
        ),
        "leaf": lambda db: db.execute("SELECT leaf_hash FROM entries WHERE idx = 6").fetchone()[0],
    }


@pytest.mark.parametrize(
    ("what", "occurrences"),
    [
        ("entry", 1),
        ("tree", 1),
        ("checkpoint", 1),
        ("leaf", 3),
    ],
)
def test_raw_byte_flips_in_the_sqlite_file(filled: LedgerEnv, what: str, occurrences: int) -> None:
    """Flip a byte of the file itself, in every copy SQLite keeps (table and index)."""
    path = db_path(filled)
    db = sqlite3.connect(path)
    value = bytes(_values(filled)[what](db))
    db.close()
    pristine = path.read_bytes()
    assert pristine.count(value) == occurrences
    for occurrence in range(occurrences):
        path.write_bytes(pristine)
        _raw_flip(path, value, occurrence, offset=len(value) // 2)
        result = run_cli("verify", "--db", filled.url)
        assert result.exit_code == 1, (what, occurrence, result.output)
        assert "verification failed" in result.output
