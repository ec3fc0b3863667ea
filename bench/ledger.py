"""Ledger benchmark: append and verify throughput against the bare-crypto baseline.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/ledger.py --n 100000 --n 1000000

For each N it signs N statements into a JSON Lines file, then measures in the
same run, on the same bytes:

- baseline: bare Ed25519 verification of each envelope's DSSE PAE plus SHA-256 of
  each entry, nothing else (the physical floor of checking a signed log);
- append: ``lineage append FILE`` in a child process (parse, authorise, verify,
  hash, write the tree and checkpoint) — entries/s and the child's peak RSS;
- verify: ``verify_ledger`` over the whole store — entries/s;
- proofs: inclusion proofs of random entries read from the store — proofs/s.

Ratios are printed against the baseline; targets (issue 2): append and verify
>= 0.6 of baseline, >= 10,000 proofs/s, append peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from hashlib import sha256
from pathlib import Path

from lineage.crypto.dsse import pae, parse_envelope, sign_envelope
from lineage.crypto.keys import KeyDirectory, SigningKey, _load_public
from lineage.ledger.log import Ledger
from lineage.ledger.verify import verify_ledger
from lineage.model.predicates import KEY_REGISTRATION, LINEAGE
from lineage.model.signer import registration_fields
from lineage.model.statement import ADMIN_STEP, Step, make_statement
from lineage.model.times import now, parse_time

T0 = parse_time("2024-05-01T00:00:00Z")


def write_statements(
    path: Path, admin: SigningKey, collector: SigningKey, n: int, start: int = 0
) -> None:
    """N collector statements (``ds:bench-START`` on), after the collector's registration
    when ``start`` is 0."""
    with path.open("w") as out:
        registration = make_statement(
            [{"name": f"key:{collector.keyid}", "digest": {"sha256": collector.keyid}}],
            KEY_REGISTRATION,
            Step(ADMIN_STEP),
            now(),
            registration_fields("collector", collector.public, ["collect"], T0, None),
        )
        if start == 0:
            out.write(sign_envelope(registration.payload(), admin).canonical().decode() + "\n")
        for i in range(start, start + n):
            statement = make_statement(
                [{"name": f"ds:bench-{i}", "digest": {"sha256": sha256(b"%d" % i).hexdigest()}}],
                LINEAGE,
                Step("collect", "1", "bench"),
                T0,
                {"nodes": [["Dataset", f"ds:bench-{i}", {}]]},
            )
            out.write(sign_envelope(statement.payload(), collector).canonical().decode() + "\n")


def baseline(path: Path, public_keys: dict[str, bytes]) -> float:
    """Seconds for bare Ed25519 verify of each envelope's PAE + SHA-256 of each entry line."""
    items = []
    with path.open("rb") as handle:
        for line in handle:
            envelope = parse_envelope(line)
            message = pae(envelope.payload_type, envelope.payload)
            items.append((envelope.keyid, envelope.signature, message, line.rstrip(b"\n")))
    verifiers = {keyid: _load_public(raw) for keyid, raw in public_keys.items()}
    start = time.perf_counter()
    for keyid, signature, message, entry in items:
        verifiers[keyid].verify(signature, message)
        sha256(b"\x00" + entry).digest()
    return time.perf_counter() - start


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            tasks = Path(f"/proc/{current}/task").iterdir()
            for task in tasks:
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_measured(
    command: list[str], env: dict[str, str], stdout: Path | None = None
) -> tuple[float, float]:
    """Run a child to completion (its output into the file ``stdout``, if given, else
    discarded); return (seconds, peak RSS in MB).

    The peak is the sum of the high-water marks (VmHWM) of the child and of every
    process it started (the pipeline's append process, say), polled every 20 ms.
    ``ru_maxrss`` of children is not used: Linux carries the parent's high-water
    mark across fork and exec into it, so it reports the benchmark's own memory.
    """
    with open(stdout or os.devnull, "wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output)
        peaks: dict[int, int] = {}
        while process.poll() is None:
            for pid in _tree(process.pid):
                peaks[pid] = max(peaks.get(pid, 0), _peak_kb(pid))
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{command} failed with exit code {process.returncode}")
    if os.environ.get("LINEAGE_BENCH_DEBUG"):
        print({pid: kb // 1024 for pid, kb in peaks.items()}, file=sys.stderr)
    return elapsed, sum(peaks.values()) / 1024


def child_append(workdir: Path, url: str, path: Path) -> tuple[float, float]:
    env = {
        **os.environ,
        "LINEAGE_DB": url,
        "LINEAGE_KEYS_DIR": str(workdir / "keys"),
        "LINEAGE_NO_PROGRESS": "1",
    }
    return run_measured([sys.executable, "-m", "lineage_cli", "append", str(path)], env)


def run(n: int, workdir: Path, proofs: int) -> dict[str, float]:
    keys = KeyDirectory(workdir / "keys")
    admin, collector = keys.create("admin"), keys.create("collector")
    url = f"sqlite:///{workdir / 'bench.db'}"
    Ledger.create(url, admin).close()
    data = workdir / "statements.jsonl"
    write_statements(data, admin, collector, n)
    entries = n + 1

    base_s = baseline(data, {admin.keyid: admin.public.raw, collector.keyid: collector.public.raw})
    append_s, peak_mb = child_append(workdir, url, data)
    ledger = Ledger.open(url)
    start = time.perf_counter()
    report = verify_ledger(ledger.store)
    verify_s = time.perf_counter() - start
    assert report.ok, report.problems[:5]
    size = ledger.size()
    rng = random.Random(7)
    start = time.perf_counter()
    for _ in range(proofs):
        ledger.inclusion_proof(rng.randrange(size))
    proof_s = time.perf_counter() - start
    ledger.close()
    return {
        "n": n,
        "baseline_per_s": entries / base_s,
        "append_per_s": entries / append_s,
        "append_ratio": base_s / append_s,
        "append_peak_rss_mb": peak_mb,
        "verify_per_s": size / verify_s,
        "verify_ratio": (base_s * size / entries) / verify_s,
        "proofs_per_s": proofs / proof_s,
        "db_mb": (workdir / "bench.db").stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="statements (repeatable)")
    parser.add_argument("--proofs", type=int, default=20_000)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="signature-verifying threads (default: CPUs; baseline uses 1)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        os.environ["LINEAGE_VERIFY_THREADS"] = str(args.threads)
    for n in args.n or [100_000]:
        with tempfile.TemporaryDirectory(prefix="lineage-bench-") as tmp:
            result = run(n, Path(tmp), args.proofs)
        if args.json:
            print(json.dumps(result))
            continue
        threads = os.environ.get("LINEAGE_VERIFY_THREADS", "all CPUs")
        print(
            f"N={n:,}: baseline {result['baseline_per_s']:,.0f}/s (Ed25519 verify + SHA-256,"
            f" one thread); lineage verifier threads: {threads}"
        )
        print(
            f"  append {result['append_per_s']:,.0f}/s = {result['append_ratio']:.2f} x baseline"
            f" (target >= 0.6); peak RSS {result['append_peak_rss_mb']:.0f} MB (target < 300)"
        )
        print(
            f"  verify {result['verify_per_s']:,.0f}/s = {result['verify_ratio']:.2f} x baseline"
            f" (target >= 0.6)"
        )
        print(
            f"  inclusion proofs {result['proofs_per_s']:,.0f}/s (target >= 10,000);"
            f" store {result['db_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
