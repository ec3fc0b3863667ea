"""Spark emission benchmark (issue 16): packings emitted per partition by Spark
executors (local mode) against the same packings recorded on the driver through the
columnar API, in one run.

    .venv/bin/python bench/spark_emit.py --records 1000000

Both ledgers first get the same posts and records on the driver (columnar API); then
each packs every record into 100 shards, once through ``emit_partitions`` (executors
stage and hash the batches, the driver signs and appends them) and once through
``step.packs`` on the driver. Prints edges/s of both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from columnar_pipeline import _posts  # noqa: E402
from graph import create_ledger  # noqa: E402
from lineage.crypto.keys import KeyDirectory  # noqa: E402
from lineage.ingest.columns import Refs  # noqa: E402
from lineage.ingest.pipeline import Lineage, Step  # noqa: E402
from lineage.ingest.spark_emit import emit_partitions, packed_into  # noqa: E402
from lineage.model.identity import SeededKeySource  # noqa: E402
from lineage.store.spark.session import spark_session  # noqa: E402

SHARDS = 100
BATCH_SIZE = 10_000
CHUNK = 50_000


def _records(lineage: Lineage, records: int) -> tuple[dict[str, Step], list[str]]:
    steps = {
        name: lineage.step(
            name, version="1", run="bench", key="pipeline", time="2024-06-01T00:00:00Z"
        )
        for name in ("collect", "pack")
    }
    ids: list[str] = []
    for first in range(0, records, CHUNK):
        posts = steps["collect"].origins(_posts(first, min(records, first + CHUNK), records // 10))
        ids += steps["collect"].keeps(posts).ids
    for n in range(SHARDS):
        steps["pack"].shard(f"s-{n}", sha256=f"{n:064x}", size=1, record_count=records // SHARDS)
    lineage.flush()
    return steps, ids


def _shard_of(ids: list[str]) -> list[str]:
    return [f"shard:s-{n % SHARDS}" for n in range(len(ids))]


def run(records: int, work: Path) -> dict[str, float]:
    keys = KeyDirectory(work / "keys")
    keys.create("admin")
    keys.create("pipeline")
    spark = spark_session()
    result: dict[str, float] = {"records": records}
    for how in ("driver", "spark"):
        url = f"lake:///{work / how}"
        create_ledger(url, keys)
        with Lineage.open(
            url, keys_dir=work / "keys", batch_size=BATCH_SIZE, key_source=SeededKeySource(1)
        ) as lineage:
            steps, ids = _records(lineage, records)
            shards = _shard_of(ids)
            start = time.perf_counter()
            if how == "driver":
                for shard in range(SHARDS):
                    chosen = [r for n, r in enumerate(ids) if n % SHARDS == shard]
                    steps["pack"].packs(
                        Refs("Record", chosen, [None] * len(chosen)), f"shard:s-{shard}"
                    )
            else:
                frame = spark.createDataFrame(pa.table({"record": ids, "shard": shards}))
                emit_partitions(
                    steps["pack"],
                    frame.repartition(4),
                    packed_into(),
                    work / "staging",
                    batch_size=BATCH_SIZE,
                )
            lineage.flush()
            result[f"{how}_packs_edges_per_s"] = records / (time.perf_counter() - start)
    result["spark_vs_driver"] = (
        result["spark_packs_edges_per_s"] / result["driver_packs_edges_per_s"]
    )
    spark.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.records, Path(tmp))
    print(json.dumps({k: round(v, 3) for k, v in result.items()}))


if __name__ == "__main__":
    main()
