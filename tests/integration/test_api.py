"""`fuelopt serve` as a real process on a free port, over a dbt-built warehouse read as
bi_reader and a real MLflow store with trained champions; schemathesis against its schema."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import mlflow
import pandas as pd
import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.ml import registry
from tests.support.cli import serving
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

TOKEN = "test-token-not-a-secret"


@pytest.fixture
def api_env(served_marts) -> dict[str, str]:
    """Environment of a server reading this test's marts as bi_reader, with a bearer token."""
    return {
        "AIRFLOW_CONN_FUELOPT_BI_READER": served_marts["reader"],
        get_settings().api.token_env: TOKEN,
        "FUELOPT__API__CHAMPION_CHECK_SECONDS": "1",
    }


def _cycle_rows(cycles: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` cycles as requests: the model's input columns, without fuel_l."""
    cfg = get_settings().ml.cycle
    return cycles[[*cfg.numeric_features, *cfg.categorical_features]].head(n)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _champion_litres(frame: pd.DataFrame) -> list[float]:
    ml = get_settings().ml
    mlflow.set_tracking_uri(registry.tracking_uri())
    model = mlflow.pyfunc.load_model(f"models:/{ml.cycle_model_name}@champion")
    return [float(x) for x in model.predict(frame)]


def test_api_serves_the_champion_and_the_marts(served_marts, api_env, tmp_path):
    ml = get_settings().ml
    auth = {"Authorization": f"Bearer {TOKEN}"}
    log = tmp_path / "serve.log"
    with (
        serving("serve", ready_path="/openapi.json", log=log, **api_env) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        health = http.get("/health")
        assert health.status_code == 200, health.text
        assert health.json()["champions"] == {
            ml.cycle_model_name: registry.alias_version(ml.cycle_model_name, "champion"),
            ml.demand_model_name: registry.alias_version(ml.demand_model_name, "champion"),
        }

        rows = _cycle_rows(served_marts["cycles"], 10)
        body = _records(rows)
        assert http.post("/v1/cycle-fuel", json=body).status_code == 401
        wrong = {"Authorization": "Bearer " + "x" * len(TOKEN)}
        assert http.post("/v1/cycle-fuel", json=body, headers=wrong).status_code == 401
        served = http.post("/v1/cycle-fuel", json=body, headers=auth)
        assert served.status_code == 200, served.text
        assert served.json()["fuel_l"] == pytest.approx(_champion_litres(rows))
        # concurrent requests are predicted together: each still gets its own rows' litres
        many = _cycle_rows(served_marts["cycles"], 200)
        parts = [many.iloc[i : i + 1 + i // 20] for i in range(0, 160, 20)]
        with ThreadPoolExecutor(len(parts)) as pool:
            answers = list(
                pool.map(
                    lambda p: http.post("/v1/cycle-fuel", json=_records(p), headers=auth),
                    parts,
                )
            )
        litres = _champion_litres(pd.concat(parts))
        start = 0
        for part, answer in zip(parts, answers, strict=True):
            assert answer.json()["fuel_l"] == pytest.approx(litres[start : start + len(part)])
            start += len(part)

        bad = [dict(r) for r in body]
        bad[3]["payload_t"] = "heavy"
        del bad[7]["road_condition"]
        refused = http.post("/v1/cycle-fuel", json=bad, headers=auth)
        assert refused.status_code == 422
        locations = [e["loc"] for e in refused.json()["detail"]]
        assert ["body", 3, "payload_t"] in locations
        assert ["body", 7, "road_condition"] in locations
        too_many = body * (get_settings().api.max_rows // len(body) + 1)
        assert http.post("/v1/cycle-fuel", json=too_many, headers=auth).status_code == 422

        day, shift = served_marts["shift_date"], served_marts["shift"]
        plan = http.get(f"/v1/plans/{day}/{shift}", headers=auth)
        assert plan.status_code == 200, plan.text
        with psycopg.connect(served_marts["warehouse"]) as conn:
            mart = conn.execute(
                "SELECT truck_id, shovel_id, dump_id, cycles, predicted_fuel_l,"
                " objective_fuel_l, baseline_fuel_l FROM marts.fct_fleet_plan"
                " WHERE shift_date = %s AND shift = %s ORDER BY 1, 2, 3",
                (day, shift),
            ).fetchall()
            issued = conn.execute(
                "SELECT target_date, horizon_days, pred, lo80, hi95 FROM"
                " marts.fct_fuel_forecast ORDER BY 1, 2"
            ).fetchall()
        got = plan.json()
        assert [
            (a["truck_id"], a["shovel_id"], a["dump_id"], a["cycles"], a["predicted_fuel_l"])
            for a in got["assignments"]
        ] == [r[:5] for r in mart]
        assert (got["objective_fuel_l"], got["baseline_fuel_l"]) == mart[0][5:]
        missing = http.get("/v1/plans/1999-01-02/night", headers=auth)
        assert missing.status_code == 404 and "1999-01-02 night" in missing.json()["detail"]
        assert http.get(f"/v1/plans/{day}/noon", headers=auth).status_code == 422

        forecast = http.get("/v1/forecast", headers=auth)
        assert forecast.status_code == 200, forecast.text
        assert [
            (r["target_date"], r["horizon_days"], r["pred"], r["lo80"], r["hi95"])
            for r in forecast.json()
        ] == [(d.isoformat(), h, p, lo, hi) for d, h, p, lo, hi in issued]

        savings = http.get("/v1/savings", headers=auth).json()
        (latest,) = [s for s in savings["shifts"] if (s["shift_date"], s["shift"]) == (day, shift)]
        assert (latest["planned_fuel_l"], latest["greedy_fuel_l"]) == mart[0][5:]
        with psycopg.connect(served_marts["warehouse"]) as conn:
            n_levers = conn.execute("SELECT count(*) FROM marts.fct_fuel_savings").fetchone()[0]
        assert 0 < len(savings["levers"]) == min(n_levers, 100 * get_settings().api.savings_shifts)
        assert {"shift_date", "shift", "lever", "saving_l", "saving_cost"} <= set(
            savings["levers"][0]
        )

        # a newly promoted champion is served without a restart
        from fuelopt.ml import training

        newer = training.train_cycle_challenger(served_marts["cycles"])["version"]
        registry.promote(ml.cycle_model_name, newer, "test: served without a restart")
        deadline = time.monotonic() + 60
        while (answer := http.post("/v1/cycle-fuel", json=body, headers=auth).json())[
            "version"
        ] != newer:
            assert time.monotonic() < deadline, answer
            time.sleep(0.5)
        assert answer["fuel_l"] == pytest.approx(_champion_litres(rows))


def test_health_names_what_is_down(served_marts, monkeypatch):
    from fastapi.testclient import TestClient

    from fuelopt.api.app import create_app

    nowhere = f"postgresql://bi_reader@127.0.0.1:{free_port()}/nothing"
    with TestClient(create_app(TOKEN, nowhere)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert [d.split(":")[0] for d in health.json()["down"]] == ["warehouse"]
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
        health = client.get("/health")
        assert health.status_code == 503
        assert [d.split(":")[0] for d in health.json()["down"]] == ["warehouse", "mlflow"]
    with TestClient(create_app(TOKEN, served_marts["reader"])) as client:
        assert client.get("/health").json()["down"] == ["mlflow: MlflowException"]


def test_schema_holds_for_generated_requests(served_marts):
    """Schemathesis against the served schema, in process: valid and invalid requests of every
    operation, with the token; no 5xx and every response as the schema documents it."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    from fuelopt.api.app import create_app

    app = create_app(TOKEN, served_marts["reader"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        inputs = [p for p in operation.iter_parameters() if p.name != "Authorization"]
        modes = [GenerationMode.POSITIVE]
        if inputs or len(operation.body):  # only inputs can be made invalid
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=25,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case) -> None:
                case.call_and_validate(headers=auth)

            check()
        checked.append(operation.label)
    assert sorted(checked) == [
        "GET /health",
        "GET /v1/forecast",
        "GET /v1/plans/{shift_date}/{shift}",
        "GET /v1/savings",
        "POST /v1/cycle-fuel",
    ]
