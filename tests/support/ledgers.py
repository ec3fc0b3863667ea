"""A fresh ledger with keys, and signed example statements to append to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lineage.crypto.dsse import Envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory, SigningKey
from lineage.ledger.log import Ledger
from lineage.model.predicates import KEY_REGISTRATION, LINEAGE
from lineage.model.signer import registration_fields
from lineage.model.statement import ADMIN_STEP, Step, make_statement
from lineage.model.times import now

EXAMPLE_TYPE = LINEAGE
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def example_envelope(
    key: SigningKey, step: str = "collect", n: int = 0, time: datetime = T0
) -> Envelope:
    """A small Lineage statement of ``step`` declaring one dataset, ``ds:example-N``."""
    statement = make_statement(
        [{"name": f"ds:example-{n}", "digest": {"sha256": f"{n:064x}"}}],
        EXAMPLE_TYPE,
        Step(step, "1", "run-1"),
        time,
        {"nodes": [["Dataset", f"ds:example-{n}", {}]]},
    )
    return sign_envelope(statement.payload(), key)


def registration_envelope(
    admin: SigningKey,
    key: SigningKey,
    steps: list[str],
    valid_from: datetime = T0,
    valid_until: datetime | None = None,
) -> Envelope:
    statement = make_statement(
        [{"name": f"key:{key.keyid}", "digest": {"sha256": key.keyid}}],
        KEY_REGISTRATION,
        Step(ADMIN_STEP),
        now(),
        registration_fields(key.name, key.public, steps, valid_from, valid_until),
    )
    return sign_envelope(statement.payload(), admin)


@dataclass
class LedgerEnv:
    root: Path
    url: str
    keys: KeyDirectory
    admin: SigningKey
    collector: SigningKey
    ledger: Ledger

    def append(self, envelopes: list[Envelope]) -> None:
        self.ledger.append([(f"test:{i}", e) for i, e in enumerate(envelopes)], self.admin)


def ledger_env(tmp_path: Path, url: str) -> Iterator[LedgerEnv]:
    keys = KeyDirectory(tmp_path / "keys")
    admin = keys.create("admin")
    collector = keys.create("collector")
    ledger = Ledger.create(url, admin)
    ledger.append([("reg", registration_envelope(admin, collector, ["collect"]))], admin)
    yield LedgerEnv(tmp_path, url, keys, admin, collector, ledger)
    ledger.close()


def pipeline_ledger(tmp: Path, url: str, steps: list[str]) -> Path:
    """A new ledger at ``url`` with key ``k`` registered for ``steps`` (the keys, in
    ``tmp/keys``, are made once and reused by later ledgers); the keys directory."""
    keys = KeyDirectory(tmp / "keys")
    fresh = not keys.file_for("admin").exists()
    admin = keys.create("admin") if fresh else keys.load("admin")
    signer = keys.create("k") if fresh else keys.load("k")
    ledger = Ledger.create(url, admin)
    ledger.append([("r", registration_envelope(admin, signer, steps, T0))], admin)
    ledger.close()
    return tmp / "keys"
