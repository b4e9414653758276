"""PostgREST (stand-in) -> raw.truck_telemetry against the real local PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
import requests

from fuelopt.errors import SourceUnavailable
from fuelopt.sources.extract import load_telemetry
from fuelopt.sources.postgrest import MalformedPage, PostgrestRequestError
from fuelopt.sources.tables import TELEMETRY_COLUMNS
from tests.support.sources import (
    T0,
    insert_synth_telemetry,
    insert_telemetry,
    telemetry_rows,
)

pytestmark = pytest.mark.integration

SELECT_ROWS = """SELECT truck_id, ts, fuel_rate_lph, engine_load_pct, speed_kmh, payload_t,
    grade_pct, status FROM {table} WHERE ts >= %s AND ts < %s"""


def checksum(uri: str, table: str, start, end) -> tuple[int, str]:
    """Row count and an order-independent digest of the contract columns."""
    with psycopg.connect(uri) as conn:
        rows = conn.execute(SELECT_ROWS.format(table=table), (start, end)).fetchall()
    digest = hashlib.sha256()
    for line in sorted(repr(tuple(_plain(v) for v in r)) for r in rows):
        digest.update(line.encode())
    return len(rows), digest.hexdigest()


def _plain(value):
    if isinstance(value, float):
        return value + 0.0  # JSON has no -0.0: PostgREST's "-0" parses as 0
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def raw_rows(uri: str) -> int:
    with psycopg.connect(uri) as conn:
        return conn.execute("SELECT count(*) FROM raw.truck_telemetry").fetchone()[0]


def test_full_window_equals_source_and_reruns_leave_one_copy(
    warehouse_uri, standin, postgrest_format
):
    # 3 days, 4 trucks, one row per minute; pages of 700 rows do not align with ts groups
    rows = telemetry_rows(minutes=3 * 24 * 60)
    # duplicates and a null truck id in the source are kept exactly (raw = what the source said)
    rows += [rows[1000], (None, *rows[2000][1:])]
    # text that CSV must quote (comma, quote, backslash, line break, empty, spaces) and nulls,
    # at the end of a page (the held-back ts group is found by scanning records backwards)
    odd = ['a,"b"', "back\\slash \\", "two\nlines\r\n", "", " padded ", None]
    rows += [(s, rows[700 * 3 - 1][1], *rows[0][2:7], s) for s in odd]
    rows += [("T01", rows[5000][1], None, None, None, None, None, None)]
    insert_telemetry(standin.db_uri, rows)
    end = T0 + timedelta(days=3)

    first = load_telemetry(T0, end, since=T0, until=end, page_size=700)
    assert first["rows_loaded"] == len(rows)
    assert first["requests"] > len(rows) // 700
    assert checksum(warehouse_uri, "raw.truck_telemetry", T0, end) == checksum(
        standin.db_uri, "api.truck_telemetry", T0, end
    )

    second = load_telemetry(T0, end, since=T0, until=end, page_size=700)
    assert second["rows_replaced"] == len(rows)
    assert raw_rows(warehouse_uri) == len(rows)
    with psycopg.connect(warehouse_uri) as conn:
        audit = conn.execute(
            "SELECT batch_id, rows_read, rows_loaded FROM ops.load_audit ORDER BY loaded_at"
        ).fetchall()
        batches = conn.execute("SELECT DISTINCT _batch_id, _source FROM raw.truck_telemetry")
        assert batches.fetchall() == [(second["batch_id"], "postgrest")]
        mark = conn.execute("SELECT value FROM ops.watermarks").fetchone()[0]
    assert [a[1:] for a in audit] == [(len(rows), len(rows))] * 2
    assert mark == max(r[1] for r in rows)


def test_synthetic_week_equals_source(warehouse_uri, standin, postgrest_format):
    from fuelopt.synth import MineSpec, iter_telemetry

    spec = MineSpec(seed=7, days=7, trucks=4)
    n = insert_synth_telemetry(standin.db_uri, iter_telemetry(spec, with_ingested_at=True))
    with psycopg.connect(standin.db_uri) as conn:
        low, high = conn.execute("SELECT min(ts), max(ts) FROM api.truck_telemetry").fetchone()
    since, until = low, high + timedelta(seconds=1)
    result = load_telemetry(since, until, since=since, until=until)
    assert result["rows_loaded"] == n
    assert checksum(warehouse_uri, "raw.truck_telemetry", since, until) == checksum(
        standin.db_uri, "api.truck_telemetry", since, until
    )


def test_503_on_page_3_is_retried_and_result_exact(
    warehouse_uri, standin, fast_retries, postgrest_format
):
    rows = telemetry_rows(minutes=120)
    insert_telemetry(standin.db_uri, rows)
    failed = []

    def fault(number, path, query):
        if number == 3 and not failed:
            failed.append(number)
            return 503, b'{"message":"busy"}', {}
        return None

    standin.server.fault_hook = fault
    end = T0 + timedelta(hours=2)
    result = load_telemetry(T0, end, since=T0, until=end, page_size=100)
    assert failed == [3]
    assert result["rows_loaded"] == len(rows)
    assert checksum(warehouse_uri, "raw.truck_telemetry", T0, end) == checksum(
        standin.db_uri, "api.truck_telemetry", T0, end
    )


def test_dropped_connections_are_retried(warehouse_uri, standin, fast_retries, postgrest_format):
    from fuelopt.sources.postgrest_standin import DROP_CONNECTION

    rows = telemetry_rows(minutes=60)
    insert_telemetry(standin.db_uri, rows)
    calls = itertools.count(1)
    standin.server.fault_hook = lambda n, p, q: (
        (DROP_CONNECTION, b"", {}) if next(calls) in (1, 3) else None
    )
    end = T0 + timedelta(hours=1)
    result = load_telemetry(T0, end, since=T0, until=end, page_size=100)
    assert result["rows_loaded"] == len(rows)
    assert result["requests"] == len(rows) // 100 + 1 + 2


def test_persistent_failure_raises_and_leaves_raw_as_it_was(
    warehouse_uri, standin, fast_retries, postgrest_format
):
    insert_telemetry(standin.db_uri, telemetry_rows(minutes=120))
    end = T0 + timedelta(hours=2)
    load_telemetry(T0, end, since=T0, until=end, page_size=100)
    before = checksum(warehouse_uri, "raw.truck_telemetry", T0, end)

    calls = itertools.count(1)
    standin.server.fault_hook = lambda n, p, q: (503, b"down", {}) if next(calls) >= 2 else None
    with pytest.raises(SourceUnavailable, match=r"page 2: still failing .* last response: 503"):
        load_telemetry(T0, end, since=T0, until=end, page_size=100)
    assert checksum(warehouse_uri, "raw.truck_telemetry", T0, end) == before
    with psycopg.connect(warehouse_uri) as conn:
        assert conn.execute("SELECT count(*) FROM ops.load_audit").fetchone()[0] == 1


CSV_ROW = b'\nT01,"2026-01-05 00:00:00+00",1,1,1,1,1'


@pytest.mark.parametrize(
    ("fmt", "body", "message"),
    [
        (
            "json",
            b'[{"truck_id":"T01","ts":"2026-01-05T00:00:00+00:00","fuel_rate_lph":1,'
            b'"engine_load_pct":1,"speed_kmh":1,"payload_t":1,"grade_pct":1}]',
            r"page 2 row 0: missing column 'status'",
        ),
        (
            "csv",
            b"truck_id,ts,fuel_rate_lph,engine_load_pct,speed_kmh,payload_t,grade_pct" + CSV_ROW,
            r"page 2: CSV header has no column 'status'",
        ),
        (
            "csv",
            b"truck_id,ts,fuel_rate_lph,engine_load_pct,speed_kmh,payload_t,grade,status"
            + CSV_ROW
            + b",x",
            r"page 2: CSV header has unknown column 'grade'",
        ),
    ],
)
def test_malformed_page_names_page_and_column(warehouse_uri, standin, fmt, body, message):
    insert_telemetry(standin.db_uri, telemetry_rows(minutes=60))
    media = {"csv": "text/csv", "json": "application/json"}[fmt]
    headers = {"Content-Range": "0-0/*", "Content-Type": media}
    standin.server.fault_hook = lambda n, p, q: (200, body, headers) if n == 2 else None
    end = T0 + timedelta(hours=1)
    with pytest.raises(MalformedPage, match=message):
        load_telemetry(T0, end, since=T0, until=end, page_size=50, fmt=fmt)
    assert raw_rows(warehouse_uri) == 0


def test_value_raw_cannot_type_fails_the_whole_load(warehouse_uri, standin):
    """No row-level quarantine at load: a CSV value PostgreSQL cannot type (text in a float
    column) fails the load, naming the column, and leaves raw as it was."""
    insert_telemetry(standin.db_uri, telemetry_rows(minutes=60))
    end = T0 + timedelta(hours=1)
    load_telemetry(T0, end, since=T0, until=end, page_size=50, fmt="csv")
    header = b"truck_id,ts,fuel_rate_lph,engine_load_pct,speed_kmh,payload_t,grade_pct,status"
    bad = header + CSV_ROW.replace(b",1,1,1", b",oops,1,1") + b",x"
    calls = itertools.count(1)
    standin.server.fault_hook = lambda n, p, q: (
        (200, bad, {"Content-Range": "0-0/*", "Content-Type": "text/csv"})
        if next(calls) == 2
        else None
    )
    with pytest.raises(psycopg.errors.InvalidTextRepresentation, match="oops"):
        load_telemetry(T0, end, since=T0, until=end, page_size=50, fmt="csv")
    assert raw_rows(warehouse_uri) == 4 * 60


def test_client_error_quotes_postgrest_code_and_message(warehouse_uri, standin, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FUELOPT_POSTGREST", f"http://:wrong@{standin.base_url[7:]}")
    end = T0 + timedelta(hours=1)
    with pytest.raises(PostgrestRequestError, match=r"401 PGRST301: No suitable key"):
        load_telemetry(T0, end, since=T0, until=end)


def test_late_row_is_picked_up_by_next_run_within_lookback(
    warehouse_uri, standin, postgrest_format
):
    from fuelopt.config import get_settings

    lookback = get_settings().sources.postgrest.lookback_hours
    assert lookback >= 1
    hour = T0 + timedelta(hours=5)
    insert_telemetry(standin.db_uri, telemetry_rows(start=hour, minutes=60))
    load_telemetry(hour, hour + timedelta(hours=1))  # the scheduled run of hour H
    late = ("T09", hour + timedelta(minutes=30), 99.0, 50.0, 10.0, 200.0, 2.0, "hauling")
    insert_telemetry(standin.db_uri, [late])  # arrives after H's run

    nxt = load_telemetry(hour + timedelta(hours=1), hour + timedelta(hours=2))  # run of H+1
    assert nxt["start"] == (hour + timedelta(hours=1 - lookback)).isoformat()
    with psycopg.connect(warehouse_uri) as conn:
        found = conn.execute(
            "SELECT count(*) FROM raw.truck_telemetry WHERE truck_id = 'T09'"
        ).fetchone()[0]
    assert found == 1
    assert raw_rows(warehouse_uri) == 4 * 60 + 1


def test_cli_writes_sorted_file_and_nothing_on_failure(tmp_path, standin, fast_retries, capsys):
    from fuelopt.cli import main

    rows = telemetry_rows(minutes=90)
    insert_telemetry(standin.db_uri, list(reversed(rows)))
    out = tmp_path / "tele.csv"
    since, until = T0 + timedelta(minutes=10), T0 + timedelta(minutes=70)
    args = ["extract", "telemetry", "--since", since.isoformat(), "--until", until.isoformat()]
    assert main([*args, "--out", str(out)]) == 0  # URL and token from the Airflow connection
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(TELEMETRY_COLUMNS)
    keys = [(line.split(",")[1], line.split(",")[0]) for line in lines[1:]]
    assert keys == sorted(keys)
    assert len(keys) == len(set(keys)) == 60 * 4

    parquet = tmp_path / "tele.parquet"
    explicit = ["--base-url", standin.base_url]  # token still from the Airflow connection
    assert main([*args, "--out", str(parquet), *explicit]) == 0
    import pandas as pd

    assert len(pd.read_parquet(parquet)) == 60 * 4

    standin.server.fault_hook = lambda n, p, q: (503, b"maintenance", {})
    failed = tmp_path / "failed.csv"
    assert main([*args, "--out", str(failed)]) == 1
    err = capsys.readouterr().err
    assert "503" in err and "maintenance" in err
    assert sorted(tmp_path.iterdir()) == sorted([out, parquet])
    assert (
        main(["extract", "telemetry", "--since", "yesterday", "--until", "x", "--out", str(failed)])
        == 2
    )


class _CuttingProxy(BaseHTTPRequestHandler):
    """Forwards to the stand-in; ``cut(n)`` says whether to cut the n-th response's body in
    half (what a proxy or a network cut does to a page: a 200 whose JSON ends early)."""

    def do_GET(self) -> None:
        server = self.server
        server.requests += 1
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        answer = requests.get(server.upstream + self.path, headers=headers, timeout=30)
        body = answer.content
        if server.cut(server.requests):
            body = body[: len(body) // 2]
        self.send_response(answer.status_code)
        for name in ("Content-Type", "Content-Range"):
            if name in answer.headers:
                self.send_header(name, answer.headers[name])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def cutting_proxy(standin, monkeypatch):
    """A proxy in front of the stand-in, set as the Airflow connection; set ``.cut``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CuttingProxy)
    server.daemon_threads = True
    server.upstream, server.requests, server.cut = standin.base_url, 0, lambda n: False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    monkeypatch.setenv("AIRFLOW_CONN_FUELOPT_POSTGREST", f"http://:{standin.token}@{host}:{port}")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_page_cut_short_is_requested_again_and_result_exact(
    warehouse_uri, standin, cutting_proxy, fast_retries, postgrest_format
):
    rows = telemetry_rows(minutes=60)
    insert_telemetry(standin.db_uri, rows)
    cutting_proxy.cut = lambda n: n == 2  # page 2's first response only
    end = T0 + timedelta(hours=1)
    result = load_telemetry(T0, end, since=T0, until=end, page_size=50)
    assert result["rows_loaded"] == len(rows)
    assert result["requests"] == cutting_proxy.requests == len(rows) // 50 + 1 + 1
    assert checksum(warehouse_uri, "raw.truck_telemetry", T0, end) == checksum(
        standin.db_uri, "api.truck_telemetry", T0, end
    )


def test_page_always_cut_short_fails_naming_the_page(
    warehouse_uri, standin, cutting_proxy, fast_retries, postgrest_format
):
    insert_telemetry(standin.db_uri, telemetry_rows(minutes=60))
    cutting_proxy.cut = lambda n: n >= 2  # page 2 and every request for it again
    end = T0 + timedelta(hours=1)
    with pytest.raises(MalformedPage) as failure:
        load_telemetry(T0, end, since=T0, until=end, page_size=50)
    message = str(failure.value)
    assert "page 2" in message and "3 attempts" in message
    # the cursor is the last ts as the page wrote it (JSON: ISO 8601; CSV: PostgreSQL's text)
    cut, ts = ("invalid JSON", "2026-01-05T00:12:00+00:00")
    if postgrest_format == "csv":
        cut, ts = ("CSV rows in the body", "2026-01-05 00:12:00+00")
    assert cut in message
    assert f"ts=gte.{ts}" in message and "limit=50" in message
    assert cutting_proxy.requests == 1 + 3
    assert raw_rows(warehouse_uri) == 0
