"""The lake's Parquet parts as Spark DataFrames, and results streamed back to the driver.

Queries are constant templates: tables are DataFrames substituted by name
(``{edges}``), values are bound as named parameters (``:kind``), lists of ids are
DataFrames made from Arrow arrays. As in DuckDB, a read keeps, of each key, the row of
the earliest entry (parts are only appended, so a key may sit in several).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from lineage.errors import StoreError
from lineage.spark_errors import SPARK_ERRORS, spark_reason
from lineage.store.lake.tables import DROPS, EDGES, NODES, SCHEMAS, SORT_KEYS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_SPARK_TYPES = {pa.string(): "STRING", pa.int64(): "BIGINT", pa.binary(): "BINARY"}
_FIRST_ROWS = (
    "SELECT {columns} FROM (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY entry)"
    " AS first_row FROM {{rows}} WHERE {{where}}) WHERE first_row = 1"
)
FIRST_ROWS = {
    table: _FIRST_ROWS.format(
        columns=", ".join(f.name for f in SCHEMAS[table]), key=", ".join(SORT_KEYS[table])
    )
    for table in (NODES, EDGES, DROPS)
}
"""Per table, the first row of each key among the rows meeting ``{where}``."""
STREAM_ROWS = 5000
SCRATCH_ENV = "LINEAGE_SPARK_SCRATCH"
COLLECT_ROWS = 50_000
"""Results up to this many rows are collected; larger ones are streamed from Parquet."""


@contextmanager
def _spark_failures() -> Iterator[None]:
    """Spark's failures inside the block, as one-line StoreErrors."""
    try:
        yield
    except SPARK_ERRORS as exc:
        raise StoreError(f"Spark query failed: {spark_reason(exc)}") from exc


def ddl(table: str) -> str:
    """Spark's schema of ``table``'s parts."""
    return ", ".join(f"{f.name} {_SPARK_TYPES[f.type]}" for f in SCHEMAS[table])


class Frames:
    """The parts a store's read view lists, read by Spark."""

    def __init__(self, spark: SparkSession, paths: Callable[[str], list[Path]]) -> None:
        self.spark = spark
        self._paths = paths

    def table(self, table: str) -> DataFrame:
        """Every row of ``table``'s listed parts (duplicates of a key included)."""
        files = [str(path) for path in self._paths(table)]
        try:
            if not files:
                return self.spark.createDataFrame([], ddl(table))
            return self.spark.read.schema(ddl(table)).parquet(*files)
        except SPARK_ERRORS as exc:
            reason = spark_reason(exc)
            raise StoreError(f"Spark could not read the {table} parts: {reason}") from exc

    def ids(self, values: Sequence[str]) -> DataFrame:
        """A one-column (``id``) DataFrame of ``values``."""
        with _spark_failures():
            return self.spark.createDataFrame(pa.table({"id": pa.array(values, pa.string())}))

    def sql(self, template: str, args: dict[str, Any] | None = None, **frames: Any) -> DataFrame:
        """``template`` with ``frames`` substituted and ``args`` bound."""
        with _spark_failures():
            return self.spark.sql(template, args=args or {}, **frames)

    def first(
        self, table: str, where: str, args: dict[str, Any] | None = None, **frames: Any
    ) -> DataFrame:
        """The first row of each key of ``table`` among the rows meeting ``where`` (a
        condition on key columns only, so it keeps or drops every row of a key alike)."""
        template = FIRST_ROWS[table].replace("{where}", where)
        return self.sql(template, args, rows=self.table(table), **frames)

    def rows(self, frame: DataFrame) -> list[tuple[Any, ...]]:
        """Every row of a small result."""
        with _spark_failures():
            return [tuple(row) for row in frame.collect()]

    def stream(self, frame: DataFrame) -> Iterator[tuple[Any, ...]]:
        """The rows of a result, in its order: collected when few, else written by Spark
        as Parquet to a scratch directory that the driver reads a few thousand rows at a
        time (rows never pass through the driver's JVM one by one). The directory is in
        ``LINEAGE_SPARK_SCRATCH`` (default: the system's temporary directory), which
        executors on other machines must share with the driver; a result read back with
        fewer or more rows than Spark computed is an error, never a shorter answer."""
        kept, count = self.kept(frame)
        if count <= COLLECT_ROWS:
            yield from self.rows(kept)
            return
        scratch = tempfile.mkdtemp(prefix="lineage-spark-", dir=os.environ.get(SCRATCH_ENV))
        try:
            target = str(Path(scratch) / "result")
            with _spark_failures():
                kept.write.parquet(target)
            read = 0
            try:
                for file in sorted(Path(target).glob("part-*.parquet")):
                    for batch in pq.ParquetFile(file).iter_batches(STREAM_ROWS):
                        read += batch.num_rows
                        columns = [column.to_pylist() for column in batch.columns]
                        yield from zip(*columns, strict=True)
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"reading Spark's result in {scratch} failed: {exc}") from exc
            if read != count:
                raise StoreError(
                    f"Spark computed {count} rows but {read} were found in {scratch}:"
                    f" set {SCRATCH_ENV} to a directory the executors and the driver share"
                )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def checkpoint(self, frame: DataFrame) -> DataFrame:
        """``frame`` computed now and kept, its plan cut (a loop's plans stay small)."""
        with _spark_failures():
            return frame.localCheckpoint(eager=True)

    def kept(self, frame: DataFrame) -> tuple[DataFrame, int]:
        """``frame`` computed now and kept (its plan cut), and its number of rows."""
        kept = self.checkpoint(frame)
        with _spark_failures():
            return kept, int(kept.count())
