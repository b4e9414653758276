"""Write a synthetic mine to files (CSV or Parquet) and/or the local source databases."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fuelopt.frames import atomic_path
from fuelopt.synth.generate import COLUMNS, OPERATION_TABLES, generate_operations, iter_telemetry
from fuelopt.synth.ground_truth import truth
from fuelopt.synth.spec import MineSpec

FORMATS = ("csv", "parquet")
TELEMETRY_SCHEMA = pa.schema(
    [
        ("truck_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("fuel_rate_lph", pa.float64()),
        ("engine_load_pct", pa.float64()),
        ("speed_kmh", pa.float64()),
        ("payload_t", pa.float64()),
        ("grade_pct", pa.float64()),
        ("status", pa.string()),
    ]
)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """One table to ``path`` (format from the extension), byte-for-byte reproducible."""
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)


class TelemetryWriter:
    """Appends telemetry chunks to one CSV or Parquet file (never the whole table in memory).

    CSV is written by pandas (floats keep their ``.0``, so readers infer float columns) with
    the timestamps pre-formatted by pyarrow, which is faster and gives the same bytes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tmp = path.with_name(f".{path.name}.tmp")
        self._parquet = (
            pq.ParquetWriter(self._tmp, TELEMETRY_SCHEMA) if path.suffix == ".parquet" else None
        )
        self._csv = None
        if self._parquet is None:
            self._csv = self._tmp.open("w", newline="")
            self._csv.write(",".join(COLUMNS["truck_telemetry"]) + "\n")

    def write(self, chunk: pd.DataFrame) -> None:
        chunk = chunk[COLUMNS["truck_telemetry"]]
        if self._parquet is not None:
            table = pa.Table.from_pandas(chunk, schema=TELEMETRY_SCHEMA, preserve_index=False)
            self._parquet.write_table(table)
            return
        seconds = pc.cast(pa.array(chunk["ts"]), pa.timestamp("s", tz="UTC"))
        text = pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S+00:00").to_pandas()
        chunk.assign(ts=text.to_numpy()).to_csv(self._csv, index=False, header=False)

    def close(self, ok: bool) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if ok:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)


def write_mine(
    spec: MineSpec,
    out_dir: Path | None,
    fmt: str = "csv",
    *,
    load: bool = False,
    telemetry_uri: str | None = None,
    operations_uri: str | None = None,
) -> dict[str, Any]:
    """Generate ``spec`` into ``out_dir`` (tables + truth.json) and/or the source databases.

    Returns a summary: rows per table and where they went.
    """
    ops = generate_operations(spec, include_truth=True)
    facts = truth(spec, ops)
    summary: dict[str, Any] = {"rows": {name: len(ops[name]) for name in OPERATION_TABLES}}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in OPERATION_TABLES:
            write_table(ops[name][COLUMNS[name]], out_dir / f"{name}.{fmt}")
    if load:
        from fuelopt.synth.load import load_operations

        load_operations(spec, ops, operations_uri)
    del ops

    defects: Counter[str] = Counter()
    rows = 0

    def chunks() -> Iterator[pd.DataFrame]:
        nonlocal rows
        for chunk in iter_telemetry(spec, with_ingested_at=True):
            rows += len(chunk)
            for labels in chunk["defect"][chunk["defect"] != ""]:
                defects.update(labels.split(","))
            yield chunk

    writer = TelemetryWriter(out_dir / f"truck_telemetry.{fmt}") if out_dir is not None else None
    ok = False
    try:
        stream = chunks()
        if writer is not None:
            stream = _tee(stream, writer)
        if load:
            from fuelopt.synth.load import load_telemetry

            load_telemetry(spec, stream, telemetry_uri)
        else:
            for _ in stream:
                pass
        ok = True
    finally:
        if writer is not None:
            writer.close(ok)
    facts["rows"]["truck_telemetry"] = rows
    facts["defect_counts"]["truck_telemetry"] = dict(sorted(defects.items()))
    summary["rows"]["truck_telemetry"] = rows
    if out_dir is not None:
        with atomic_path(out_dir / "truth.json") as tmp:
            tmp.write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
        summary["out"] = str(out_dir)
    summary["loaded"] = load
    return summary


def _tee(stream: Iterator[pd.DataFrame], writer: TelemetryWriter) -> Iterator[pd.DataFrame]:
    for chunk in stream:
        writer.write(chunk)
        yield chunk
