"""Columns in: what the columnar pipeline API accepts, and the nodes it hands back.

A step called with columns takes an Arrow table or record batch, a pandas or Polars data
frame (read through Arrow), or a mapping of column names to Arrow arrays or lists; one
column is an Arrow array, a pandas or Polars series, or a list. The columns become
Python lists once, in C, and the step's work then runs over plain lists: no Python
object per record is made beyond the strings themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from lineage.errors import InputError
from lineage.model.identity import Subject

MAX_COLUMN_ROWS = 10_000_000
"""The most rows one columnar call takes (a bound on what a caller makes us hold)."""


def _table(data: object, what: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, Mapping):
        return pa.table({str(name): _array(column, what) for name, column in data.items()})
    to_arrow = getattr(data, "to_arrow", None)
    if callable(to_arrow):
        return _table(to_arrow(), what)
    try:
        return pa.table(data)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise InputError(
            f"{what}: not a table (an Arrow table or record batch, a pandas or Polars data"
            f" frame, or a mapping of columns): {type(data).__name__}"
        ) from exc


def _array(column: object, what: str) -> pa.Array | pa.ChunkedArray:
    if isinstance(column, pa.Array | pa.ChunkedArray):
        return column
    to_arrow = getattr(column, "to_arrow", None)
    if callable(to_arrow):
        return _array(to_arrow(), what)
    try:
        return pa.array(column)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{what}: a column that Arrow cannot read ({exc})") from exc


def column_values(column: object, what: str) -> list[Any]:
    """One column as a Python list."""
    values: list[Any] = _array(column, what).to_pylist()
    if len(values) > MAX_COLUMN_ROWS:
        raise InputError(f"{what}: more than {MAX_COLUMN_ROWS:,} rows in one call")
    return values


def table_columns(
    data: object, required: Sequence[str], optional: Sequence[str], what: str
) -> tuple[int, dict[str, list[Any]]]:
    """(rows, columns by name) of ``data``: the required columns must be there, the
    optional ones may be, no other is accepted, and no required value may be null."""
    table = _table(data, what)
    names = set(table.column_names)
    missing = [name for name in required if name not in names]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)}")
    unknown = sorted(names - set(required) - set(optional))
    if unknown:
        raise InputError(
            f"{what}: unknown column(s) {', '.join(unknown)}"
            f" (known: {', '.join([*required, *optional])})"
        )
    if table.num_rows > MAX_COLUMN_ROWS:
        raise InputError(f"{what}: more than {MAX_COLUMN_ROWS:,} rows in one call")
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    for name in required:
        if table.column(name).null_count:
            row = columns[name].index(None)
            raise InputError(f"{what}: column {name} is null in row {row}")
    return table.num_rows, columns


@dataclass(frozen=True)
class Refs:
    """Many nodes of one kind that a step recorded: their graph ids and, for posts and
    records, each one's subject (the columnar :class:`~lineage.ingest.pipeline.Ref`)."""

    kind: str
    ids: list[str]
    subjects: list[Subject | None]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple[str, Subject | None]]:
        return zip(self.ids, self.subjects, strict=True)

    def filter(self, mask: object) -> Refs:
        """The nodes where ``mask`` (booleans, one per node) is true."""
        keep = column_values(mask, "mask")
        if len(keep) != len(self.ids):
            raise InputError(f"mask: {len(keep)} values for {len(self.ids)} nodes")
        chosen = [n for n, wanted in enumerate(keep) if wanted]
        return self.take(chosen)

    def take(self, positions: Sequence[int]) -> Refs:
        """The nodes at ``positions``, in that order."""
        ids, subjects = self.ids, self.subjects
        return Refs(self.kind, [ids[n] for n in positions], [subjects[n] for n in positions])

    def id_array(self) -> pa.Array:
        """The graph ids as an Arrow array (to join back onto the pipeline's own table)."""
        return pa.array(self.ids, type=pa.string())
