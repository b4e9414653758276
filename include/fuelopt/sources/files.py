"""Writing extracted rows to ``.csv`` or ``.parquet`` page by page, atomically (temp + rename)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from fuelopt.errors import BadInput
from fuelopt.frames import atomic_path
from fuelopt.sources.tables import column_kind

FORMATS = (".csv", ".parquet")


def check_out_path(path: Path) -> None:
    """Bad input unless the file's extension is one we write and its folder exists."""
    if path.suffix.lower() not in FORMATS:
        raise BadInput(f"{path}: --out must end in .csv or .parquet")
    if not path.parent.exists():
        raise BadInput(f"{path}: folder {path.parent} does not exist")


def _arrow_schema(columns: Sequence[str]):
    import pyarrow as pa

    types = {
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "float": pa.float64(),
        "string": pa.string(),
    }
    return pa.schema([(c, types[column_kind(c)]) for c in columns])


def _arrow_table(rows: Sequence[Sequence[object]], columns: Sequence[str], schema):
    import pandas as pd
    import pyarrow as pa

    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for c in columns:
        kind = column_kind(c)
        if kind == "timestamp":
            frame[c] = pd.to_datetime(frame[c], utc=True, format="ISO8601")
        elif kind == "date":
            frame[c] = pd.to_datetime(frame[c]).dt.date
        elif kind == "float":
            frame[c] = pd.to_numeric(frame[c])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def write_pages(
    path: Path, columns: Sequence[str], pages: Iterable[Sequence[Sequence[object]]]
) -> int:
    """Write every page to ``path`` (a temp file renamed at the end); returns the row count.

    If anything fails (the source, a page), the temp file is removed and ``path`` is untouched.
    """
    check_out_path(path)
    rows = 0
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            with tmp.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                for page in pages:
                    writer.writerows(page)
                    rows += len(page)
        else:
            import pyarrow.parquet as pq

            schema = _arrow_schema(columns)
            with pq.ParquetWriter(tmp, schema) as writer:
                for page in pages:
                    writer.write_table(_arrow_table(page, columns, schema))
                    rows += len(page)
                if rows == 0:
                    writer.write_table(schema.empty_table())
    return rows
