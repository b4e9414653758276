"""PostgREST behaviour the extractor relies on, checked against the stand-in (always) and against
a real PostgREST when ``FUELOPT_POSTGREST_URL`` is set (optionally ``FUELOPT_POSTGREST_TOKEN``, a
valid JWT), so the stand-in cannot drift from the real thing unnoticed.

The real server must expose ``truck_telemetry`` with at least 20 rows; assertions are relative
to what it holds. Both formats the extractor reads are covered: JSON, and CSV (``Accept:
text/csv``), whose rows must be what JSON says once PostgreSQL's COPY has read them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import requests

from fuelopt.sources.tables import TELEMETRY_COLUMNS

pytestmark = pytest.mark.integration

TABLE = "truck_telemetry"
ERROR_KEYS = {"code", "message", "details", "hint"}


@dataclass
class Api:
    base_url: str
    token: str | None
    real: bool

    def get(self, path: str = TABLE, params=None, headers=None, token: str | None = "default"):
        sent = dict(headers or {})
        token = self.token if token == "default" else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        return requests.get(f"{self.base_url}/{path}", params=params, headers=sent, timeout=30)


TARGETS = [
    "standin",
    pytest.param(
        "real",
        marks=[
            pytest.mark.postgrest,
            pytest.mark.skipif(
                not os.environ.get("FUELOPT_POSTGREST_URL"), reason="FUELOPT_POSTGREST_URL not set"
            ),
        ],
    ),
]


@pytest.fixture(params=TARGETS)
def api(request) -> Iterator[Api]:
    if request.param == "real":
        yield Api(
            os.environ["FUELOPT_POSTGREST_URL"].rstrip("/"),
            os.environ.get("FUELOPT_POSTGREST_TOKEN"),
            True,
        )
        return
    from tests.support.sources import insert_telemetry, telemetry_rows

    standin = request.getfixturevalue("standin")
    rows = telemetry_rows(minutes=10)  # 40 rows, 4 trucks
    # and values CSV must quote or leave empty, a day later (no filter above reaches them)
    later = rows[0][1] + timedelta(days=1)
    odd = ['say "hi", twice', "back\\slash", "two\nlines", "", " padded ", None]
    rows += [("T09", later + timedelta(minutes=i), None, 1.5, -0.0, 1e-7, 2.5e300, s)
             for i, s in enumerate(odd)]  # fmt: skip
    insert_telemetry(standin.db_uri, rows)
    yield Api(standin.base_url, standin.token, False)


def exact_total(api: Api, params=None) -> int:
    resp = api.get(params=params, headers={"Prefer": "count=exact", "Range": "0-0"})
    assert resp.status_code in (200, 206)
    return int(resp.headers["Content-Range"].rsplit("/", 1)[1])


def assert_error(resp: requests.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code or (code.endswith("*") and body["code"].startswith(code[:-1]))
    return body


def test_every_response_carries_a_content_range(api):
    resp = api.get(params={"limit": 3})
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "0-2/*"
    assert len(resp.json()) == 3


def test_count_exact_gives_total_and_206_on_a_partial_page(api):
    total = exact_total(api)
    assert total >= 20
    resp = api.get(params={"limit": 5}, headers={"Prefer": "count=exact"})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == f"0-4/{total}"
    whole = api.get(params={"limit": total}, headers={"Prefer": "count=exact"})
    assert whole.status_code == 200
    assert whole.headers["Content-Range"] == f"0-{total - 1}/{total}"


def test_range_header_and_offset_select_the_same_rows(api):
    order = {"order": "ts.asc,truck_id.asc"}
    by_header = api.get(params=order, headers={"Range-Unit": "items", "Range": "2-4"})
    assert by_header.headers["Content-Range"].startswith("2-4/")
    by_params = api.get(params={**order, "offset": 2, "limit": 3})
    assert by_params.headers["Content-Range"].startswith("2-4/")
    assert by_header.json() == by_params.json()
    assert len(by_params.json()) == 3


def test_unsatisfiable_range_is_416_pgrst103(api):
    total = exact_total(api)
    resp = api.get(params={"offset": total + 10, "limit": 5}, headers={"Prefer": "count=exact"})
    assert_error(resp, 416, "PGRST103")


def test_empty_result_is_200_star_range(api):
    resp = api.get(params={"ts": "lt.1970-01-01T00:00:00Z"}, headers={"Prefer": "count=exact"})
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "*/0"
    assert resp.json() == []
    assert api.get(params={"ts": "lt.1970-01-01T00:00:00Z"}).headers["Content-Range"] == "*/*"


def test_filters_agree_with_each_other(api):
    first = api.get(params={"order": "ts.asc", "limit": 1}).json()[0]
    mid = api.get(params={"order": "ts.asc", "offset": 10, "limit": 1}).json()[0]["ts"]
    counts = {
        op: exact_total(api, {"ts": f"{op}.{mid}"}) for op in ("eq", "gt", "gte", "lt", "lte")
    }
    assert counts["eq"] >= 1
    assert counts["gte"] == counts["gt"] + counts["eq"]
    assert counts["lte"] == counts["lt"] + counts["eq"]
    assert counts["lt"] + counts["gte"] == exact_total(api)
    rows = api.get(params={"ts": f"eq.{first['ts']}", "truck_id": f"in.({first['truck_id']})"})
    assert rows.json() and all(r["truck_id"] == first["truck_id"] for r in rows.json())
    both = api.get(params=[("ts", f"gte.{first['ts']}"), ("ts", f"lt.{mid}")]).json()
    assert len(both) == exact_total(api, {"ts": f"lt.{mid}"}) - exact_total(
        api, {"ts": f"lt.{first['ts']}"}
    )


def test_order_and_select(api):
    rows = api.get(params={"order": "ts.desc,truck_id.asc", "limit": 12,
                           "select": "ts,truck_id"}).json()  # fmt: skip
    assert all(set(r) == {"ts", "truck_id"} for r in rows)
    keys = [(r["ts"], r["truck_id"]) for r in rows]
    assert keys == sorted(keys, key=lambda k: (_neg(k[0]), k[1]))


def _neg(ts: str) -> tuple:
    from datetime import datetime

    return (-datetime.fromisoformat(ts).timestamp(),)


def test_bad_filter_is_400_pgrst100(api):
    assert_error(api.get(params={"ts": "nonsense.1"}), 400, "PGRST100")


def test_unknown_column_is_400_42703(api):
    assert_error(api.get(params={"no_such_column": "eq.1"}), 400, "42703")


def test_unknown_table_is_404_pgrst205(api):
    body = assert_error(api.get("no_such_table"), 404, "PGRST205")
    assert "no_such_table" in body["message"]


def test_wrong_token_is_401(api):
    assert_error(api.get(token="not-a-valid-token"), 401, "PGRST30*")


def test_missing_token_is_401_when_anonymous_access_is_off(api):
    if api.real:
        pytest.skip("the real server's anonymous role policy is deployment-specific")
    resp = api.get(token=None)
    assert_error(resp, 401, "PGRST302")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


CSV = {"Accept": "text/csv"}
TABLE_DDL = ", ".join(
    f"{c} {'timestamptz' if c == 'ts' else 'text' if c in ('truck_id', 'status') else 'float8'}"
    for c in TELEMETRY_COLUMNS
)


def copied(make_database, page) -> list[tuple]:
    """What PostgreSQL's COPY (FORMAT csv, HEADER true) reads from a page, in its order."""
    uri = make_database("fuelopt_csv")
    with psycopg.connect(uri) as conn:
        conn.execute(f"CREATE TABLE t (n serial, {TABLE_DDL})")
        columns = ", ".join(page.columns)
        with conn.cursor().copy(f"COPY t ({columns}) FROM STDIN (FORMAT csv, HEADER true)") as cp:
            cp.write(page.data[page.start : page.end])
        return conn.execute(f"SELECT {', '.join(TELEMETRY_COLUMNS)} FROM t ORDER BY n").fetchall()


def as_values(row: dict) -> tuple:
    ts = datetime.fromisoformat(row["ts"]).astimezone(UTC) if row["ts"] else None
    return tuple(ts if c == "ts" else row[c] for c in TELEMETRY_COLUMNS)


def test_csv_rows_are_what_json_says(api, make_database):
    from fuelopt.sources.postgrest import _parse_csv_page

    params = {"select": ",".join(TELEMETRY_COLUMNS), "order": "ts.asc,truck_id.asc", "limit": 500}
    as_json = api.get(params=params).json()
    resp = api.get(params=params, headers=CSV)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert resp.headers["Content-Range"] == f"0-{len(as_json) - 1}/*"
    assert resp.content.split(b"\n", 1)[0] == ",".join(TELEMETRY_COLUMNS).encode()
    page = _parse_csv_page(1, resp)
    assert (page.columns, page.count) == (TELEMETRY_COLUMNS, len(as_json))
    assert copied(make_database, page) == [as_values(r) for r in as_json]


def test_csv_header_follows_select_and_counts_follow_ranges(api):
    resp = api.get(params={"select": "status,ts", "limit": 3}, headers=CSV)
    assert resp.content.split(b"\n", 1)[0] == b"status,ts"
    assert resp.headers["Content-Range"] == "0-2/*"
    total = exact_total(api)
    counted = api.get(params={"limit": 5}, headers={**CSV, "Prefer": "count=exact"})
    assert counted.status_code == 206
    assert counted.headers["Content-Range"] == f"0-4/{total}"


def test_csv_empty_result_has_no_rows(api):
    resp = api.get(params={"ts": "lt.1970-01-01T00:00:00Z"}, headers=CSV)
    assert resp.status_code == 200
    assert resp.headers["Content-Range"] == "*/*"
    assert resp.content.strip() == b""  # PostgREST: an empty header line, no rows


def test_csv_errors_are_json_error_bodies(api):
    assert_error(api.get(params={"ts": "nonsense.1"}, headers=CSV), 400, "PGRST100")
