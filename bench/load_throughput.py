"""Raw-load throughput for telemetry, as ratios to ``psql \\copy`` measured in the same run.

    python bench/load_throughput.py [--rows 1000000] [--naive-rows 100000] [--repeat 1]

(a) ``psql \\copy`` of a local CSV file of the rows into ``raw.truck_telemetry`` (the baseline);
(b) the project's extract+load in CSV (``sources.postgrest.format: csv``): PostgREST stand-in
    (own process) -> keyset pages as ``text/csv`` -> each page's bytes into COPY;
(c) the same in JSON (the fallback): rows decoded in Python -> COPY row by row;
(d) the project's loader alone (``fuelopt.warehouse.loader.load_interval``) fed the CSV rows;
(e) ``pandas.DataFrame.to_sql`` (the naive peer), on ``--naive-rows`` rows (its rate is flat in
    the row count; a full million takes minutes on this machine).
Peak memory of (b), (c) and (d) is measured in child processes at rows/5 and rows (peak RSS above
the RSS after imports): flat means the two peaks are close. Temporary databases are dropped at
the end. Goals: (b) >= 0.5x (a), end to end, memory flat; (d) >= 0.5x (a). The last line is JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from bench_args import parse_args

START = datetime(2026, 1, 5, tzinfo=UTC)
STATUSES = ("hauling", "loading", "dumping", "queuing", "idle", "down")


# --quick: sizes for a CI-sized machine
QUICK = {"rows": 100_000, "naive_rows": 10_000}


def write_csv(path: Path, rows: int, trucks: int = 50) -> None:
    """Deterministic telemetry rows (contract columns) as CSV with a header."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["truck_id", "ts", "fuel_rate_lph", "engine_load_pct", "speed_kmh", "payload_t",
             "grade_pct", "status"]
        )  # fmt: skip
        for i in range(rows):
            minute, truck = divmod(i, trucks)
            ts = (START + timedelta(minutes=minute)).isoformat()
            out.writerow(
                (f"T{truck:03d}", ts, 50 + (i * 7919) % 250 / 1.7, (i * 31) % 100 * 1.0,
                 (i * 13) % 45 * 1.0, (i % 3) * 110.0, ((i * 17) % 200 - 100) / 10,
                 STATUSES[i % 6])
            )  # fmt: skip


def window(rows: int, trucks: int = 50) -> tuple[datetime, datetime]:
    return START, START + timedelta(minutes=-(-rows // trucks))


def csv_pages(path: Path, page: int = 10_000):
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch = []
        for row in reader:
            batch.append(row)
            if len(batch) == page:
                yield batch
                batch = []
        if batch:
            yield batch


def truncate(uri: str) -> None:
    with psycopg.connect(uri) as conn:
        conn.execute("TRUNCATE raw.truck_telemetry")


def run_psql_copy(uri: str, path: Path) -> float:
    """(a): psql \\copy, metadata columns set by a default-less raw table -> use a staging CSV."""
    with_meta = path.with_suffix(".meta.csv")
    if not with_meta.exists():
        stamp = datetime.now(UTC).isoformat()
        with path.open(newline="") as src, with_meta.open("w", newline="") as dst:
            reader, writer = csv.reader(src), csv.writer(dst)
            next(reader)
            for row in reader:
                writer.writerow([*row, stamp, "bench", "bench"])
    cols = ("truck_id, ts, fuel_rate_lph, engine_load_pct, speed_kmh, payload_t, grade_pct, "
            "status, _loaded_at, _batch_id, _source")  # fmt: skip
    command = f"\\copy raw.truck_telemetry ({cols}) FROM '{with_meta}' WITH (FORMAT csv)"
    truncate(uri)
    started = time.perf_counter()
    subprocess.run(["psql", uri, "-v", "ON_ERROR_STOP=1", "-qc", command], check=True)
    return time.perf_counter() - started


def run_loader(uri: str, path: Path, rows: int) -> float:
    """(d): the project's loader alone, pages read from the CSV."""
    from fuelopt.sources.tables import TELEMETRY_COLUMNS
    from fuelopt.warehouse.loader import Interval, load_interval

    truncate(uri)
    start, end = window(rows)
    started = time.perf_counter()
    result = load_interval(
        "truck_telemetry", TELEMETRY_COLUMNS, csv_pages(path), source="bench",
        interval=Interval("ts", start, end), uri=uri,
    )  # fmt: skip
    assert result.rows_loaded == rows, result
    return time.perf_counter() - started


def run_extract_load(uri: str, base_url: str, rows: int, fmt: str) -> float:
    """(b), (c): PostgREST stand-in -> extractor -> loader, the DAG's code path, in ``fmt``."""
    import fuelopt.sources.postgrest  # noqa: F401  (imports outside the timing)
    from fuelopt.sources.extract import load_telemetry

    truncate(uri)
    start, end = window(rows)
    started = time.perf_counter()
    result = load_telemetry(start, end, since=start, until=end, uri=uri, base_url=base_url, fmt=fmt)
    assert result["rows_loaded"] == rows, result
    return time.perf_counter() - started


def run_to_sql(uri: str, path: Path, rows: int) -> float:
    """(e): DataFrame.to_sql with defaults (SQLAlchemy's default PostgreSQL driver, psycopg2)."""
    import pandas as pd
    import sqlalchemy as sa

    truncate(uri)
    frame = pd.read_csv(path, nrows=rows, parse_dates=["ts"])
    frame["_loaded_at"] = datetime.now(UTC)
    frame["_batch_id"] = frame["_source"] = "bench"
    engine = sa.create_engine(uri)
    started = time.perf_counter()
    frame.to_sql("truck_telemetry", engine, schema="raw", if_exists="append", index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def _rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGESIZE") / 2**20


def _peak_mib() -> float:
    """This process's peak RSS (VmHWM; unlike ru_maxrss it does not inherit the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(kind: str, uri: str, arg: str, rows: int, queue: mp.Queue) -> None:
    import fuelopt.sources.extract
    import fuelopt.sources.postgrest
    import fuelopt.warehouse.loader  # noqa: F401

    base = _rss_mib()
    try:
        if kind == "loader":
            seconds = run_loader(uri, Path(arg), rows)
        else:
            seconds = run_extract_load(uri, arg, rows, kind)
    except BaseException as exc:
        queue.put(exc)
        raise
    queue.put((seconds, _peak_mib() - base))


def in_child(kind: str, uri: str, arg: str, rows: int) -> tuple[float, float]:
    """Run (b), (c) (kind: the format) or (d) (kind ``loader``) in a fresh process:
    (seconds, peak RSS growth in MiB)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(kind, uri, arg, rows, queue))
    proc.start()
    result = queue.get()
    proc.join()
    if isinstance(result, BaseException):
        raise RuntimeError(f"{kind} run failed in its child process: {result}") from result
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_db(prefix: str, warehouse: bool) -> str:
    from fuelopt.config import get_settings
    from fuelopt.warehouse.bootstrap import ensure_database, ensure_role, init_warehouse
    from fuelopt.warehouse.db import admin_uri, with_database

    loader = get_settings().warehouse.roles.loader
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_uri(), autocommit=True) as conn:
        ensure_role(conn, loader)
    ensure_database(admin_uri(), name, loader)
    parts = urlsplit(admin_uri())
    uri = with_database(f"postgresql://{loader}@{parts.hostname}:{parts.port or 5432}/", name)
    if warehouse:
        init_warehouse(uri)
    return uri


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant (median kept)")
    args = parse_args(parser, QUICK)
    from fuelopt.warehouse.bootstrap import drop_database
    from fuelopt.warehouse.db import database_name

    tmp = Path(tempfile.mkdtemp(prefix="fuelopt-bench-"))
    warehouse = make_db("fuelopt_bench_wh", warehouse=True)
    source = make_db("fuelopt_bench_src", warehouse=False)
    standin = None
    try:
        data = tmp / "telemetry.csv"
        write_csv(data, args.rows)
        with psycopg.connect(source) as conn:
            conn.execute(
                "CREATE SCHEMA api; CREATE TABLE api.truck_telemetry (truck_id text,"
                " ts timestamptz, fuel_rate_lph float8, engine_load_pct float8, speed_kmh float8,"
                " payload_t float8,"
                " grade_pct float8, status text, ingested_at timestamptz DEFAULT now());"
            )
            with (
                conn.cursor().copy(
                    "COPY api.truck_telemetry (truck_id, ts, fuel_rate_lph, engine_load_pct,"
                    " speed_kmh, payload_t, grade_pct, status) FROM STDIN (FORMAT csv, HEADER)"
                ) as copy,
                data.open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            conn.execute("CREATE INDEX ON api.truck_telemetry (ts, truck_id)")
            conn.execute("ANALYZE api.truck_telemetry")  # as autovacuum would
        port = free_port()
        standin = subprocess.Popen(
            [sys.executable, "-m", "fuelopt.sources.postgrest_standin", "--db-url", source,
             "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        time.sleep(2)

        def median(fn) -> float:
            return statistics.median(fn() for _ in range(args.repeat))

        def child(kind: str, arg: str, n: int) -> tuple[float, float]:
            runs = [in_child(kind, warehouse, arg, n) for _ in range(args.repeat)]
            return statistics.median(r[0] for r in runs), max(r[1] for r in runs)

        rows = args.rows
        small = max(rows // 5 // 50 * 50, 50)
        small_csv = data.with_name("small.csv")
        write_csv(small_csv, small)
        seconds = {"a": median(lambda: run_psql_copy(warehouse, data))}
        peak: dict[str, tuple[float, float]] = {}
        for key, kind, arg in (("b", "csv", base_url), ("c", "json", base_url),
                               ("d", "loader", str(data))):  # fmt: skip
            seconds[key], high = child(kind, arg, rows)
            _, low = child(kind, str(small_csv) if kind == "loader" else arg, small)
            peak[key] = (low, high)
        seconds["e"] = median(lambda: run_to_sql(warehouse, data, args.naive_rows))

        rate = {k: (args.naive_rows if k == "e" else rows) / v for k, v in seconds.items()}
        ratio = {k: rate[k] / rate["a"] for k in rate}
        print(f"telemetry rows: {rows:,} (to_sql on {args.naive_rows:,}); medians of {args.repeat}")
        labels = {"a": "psql \\copy (baseline)", "b": "extract+load, csv",
                  "c": "extract+load, json", "d": "loader alone",
                  "e": "pandas to_sql (naive)"}  # fmt: skip
        for key, label in labels.items():
            print(f"  ({key}) {label:<24} {rate[key]:>12,.0f} rows/s  {ratio[key]:6.2f}x (a)")
        print(f"  extract+load csv / psql  {ratio['b']:6.2f}  (goal >= 0.5)")
        print(f"  loader alone / psql      {ratio['d']:6.2f}  (goal >= 0.5)")
        print(f"  extract+load csv / json  {rate['b'] / rate['c']:6.2f}")
        print(f"  extract+load csv / to_sql {rate['b'] / rate['e']:6.2f}")
        for key in "bcd":
            low, high = peak[key]
            at = f"{low:5.0f} MiB at {small:,}, {high:5.0f} MiB at {rows:,}"
            print(f"  peak RSS growth ({key}) {at}")
        print(
            json.dumps(
                {
                    "rows": rows,
                    "psql_rows_per_s": round(rate["a"]),
                    "csv_rows_per_s": round(rate["b"]),
                    "json_rows_per_s": round(rate["c"]),
                    "loader_rows_per_s": round(rate["d"]),
                    "to_sql_rows_per_s": round(rate["e"]),
                    "ratio": round(ratio["b"], 3),
                    "json_ratio": round(ratio["c"], 3),
                    "loader_ratio": round(ratio["d"], 3),
                    "goal": 0.5,
                    "csv_peak_mib": [round(v, 1) for v in peak["b"]],
                    "json_peak_mib": [round(v, 1) for v in peak["c"]],
                    "loader_peak_mib": [round(v, 1) for v in peak["d"]],
                    "peak_rows": [small, rows],
                }
            )
        )
    finally:
        if standin is not None:
            standin.terminate()
            standin.wait(timeout=10)
        for uri in (warehouse, source):
            drop_database(database_name(uri))
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    raise SystemExit(main())
