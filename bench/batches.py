"""Lineage/v2 against Lineage/v1: append and verify per edge, and envelope size.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/batches.py --edges 300000 --batch 1000

The same edges (``DERIVED_FROM`` record -> post, unique ids) are signed in batches of
BATCH, once as v1 statements (the edges inside the signed payload) and once as v2
statements (the payload signs the batch's Merkle root; the edges are stored beside the
envelope), appended in-process into two fresh SQLite ledgers and verified. Each
variant runs twice, alternating, and the faster run counts. Printed: edges/s of each,
the v2/v1 ratios (target: not slower, >= 0.95), and the envelope size of one
statement for batch sizes 1 to 10,000 (v2: constant).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lineage.crypto.dsse import Envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory, SigningKey
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.batch import BatchEnvelope, artifact_subjects, commit
from lineage.model.predicates import KEY_REGISTRATION, LINEAGE, LINEAGE_V2
from lineage.model.signer import registration_fields
from lineage.model.statement import ADMIN_STEP, Step, make_statement
from lineage.model.times import now, parse_time

T0 = parse_time("2024-05-01T00:00:00Z")
STEP = Step("collect", "1", "bench")


def edges_of(batch: int, start: int) -> list[list[str]]:
    return [
        ["DERIVED_FROM", f"rec:{n:024x}", f"post:{n:024x}"] for n in range(start, start + batch)
    ]


def v1_envelope(key: SigningKey, edges: list[list[str]]) -> Envelope:
    subject = [{"name": "lineage-batch:collect", "digest": {"sha256": "00" * 32}}]
    statement = make_statement(subject, LINEAGE, STEP, T0, {"edges": edges})
    return sign_envelope(statement.payload(), key)


def v2_envelope(key: SigningKey, edges: list[list[str]]) -> Envelope:
    commitment, items = commit([], edges)
    subjects = artifact_subjects([], commitment.root, STEP.name)
    statement = make_statement(subjects, LINEAGE_V2, STEP, T0, {"batch": commitment.to_json()})
    signed = sign_envelope(statement.payload(), key)
    return BatchEnvelope(**vars(signed), items=items)


def registration(admin: SigningKey, key: SigningKey) -> Envelope:
    statement = make_statement(
        [{"name": f"key:{key.keyid}", "digest": {"sha256": key.keyid}}],
        KEY_REGISTRATION,
        Step(ADMIN_STEP),
        now(),
        registration_fields("collector", key.public, ["collect"], T0, None),
    )
    return sign_envelope(statement.payload(), admin)


def run(
    make: Callable[[SigningKey, list[list[str]]], Envelope],
    total: int,
    batch: int,
    root: Path,
) -> tuple[float, float]:
    """Seconds to sign-free append and to verify ``total`` edges as ``make`` statements."""
    keys = KeyDirectory(root / "keys")
    admin, collector = keys.create("admin"), keys.create("collector")
    ledger = Ledger.create(f"sqlite:///{root / 'lineage.db'}", admin)
    ledger.append([("reg", registration(admin, collector))], admin)
    envelopes = [make(collector, edges_of(batch, start)) for start in range(0, total, batch)]
    start = time.perf_counter()
    for first in range(0, len(envelopes), 50):
        chunk = envelopes[first : first + 50]
        ledger.append([(f"s{first + i}", e) for i, e in enumerate(chunk)], admin)
    appended = time.perf_counter() - start
    start = time.perf_counter()
    report = verify_ledger(ledger.store)
    verified = time.perf_counter() - start
    assert report.ok, report.problems[:3]
    ledger.close()
    return appended, verified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    best: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(2):
            order = [("v1", v1_envelope), ("v2", v2_envelope)]
            for name, make in order if attempt == 0 else order[::-1]:
                root = Path(tmp) / f"{name}-{attempt}"
                appended, verified = run(make, args.edges, args.batch, root)
                previous = best.get(name, [appended, verified])
                best[name] = [min(previous[0], appended), min(previous[1], verified)]
    print(f"{args.edges:,} edges in statements of {args.batch:,} (best of 2, SQLite)")
    for name, (appended, verified) in best.items():
        print(
            f"  {name}: append {args.edges / appended:,.0f} edges/s,"
            f" verify {args.edges / verified:,.0f} edges/s"
        )
    (a1, v1), (a2, v2) = best["v1"], best["v2"]
    print(f"  v2/v1 speed: append {a1 / a2:.2f}x, verify {v1 / v2:.2f}x (target >= 0.95)")
    with tempfile.TemporaryDirectory() as tmp:
        key = KeyDirectory(Path(tmp)).create("collector")
        print("envelope bytes of one statement by batch size (v1 / v2):")
        for size in (1, 10, 100, 1000, 10_000):
            one = v1_envelope(key, edges_of(size, 0)).canonical()
            two = v2_envelope(key, edges_of(size, 0)).canonical()
            print(f"  {size:>6,} edges: {len(one):>10,} / {len(two):,}")


if __name__ == "__main__":
    main()
