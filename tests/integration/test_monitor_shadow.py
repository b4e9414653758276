"""Shadow scoring and automatic rollback of the cycle fuel champion, with real trained models in a
local MLflow store and a real warehouse database.

The degraded scenario: a new champion was trained on a second synthetic mine whose roads had
degraded (rolling resistance +1.5 points, more fair and poor roads) and beat the old champion on
those cycles; the live mine's roads are the old ones, so the new champion over-predicts them.
"""

from __future__ import annotations

import datetime as dt
import socket

import psycopg
import pytest

from fuelopt.config import get_settings
from fuelopt.ml import registry, training
from fuelopt.monitor import jobs
from fuelopt.monitor.checks import read_checks
from tests.integration.test_monitor_checks import as_of_day, write_table
from tests.support.mine import mine

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    """A local MLflow store; the cycle model untuned (tuning is not what is tested here)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("FUELOPT__ML__CYCLE__TUNING__ENABLED", "false")
    get_settings.cache_clear()
    yield uri
    monkeypatch.undo()
    get_settings.cache_clear()


def _history(frame, day: int = 14):
    return frame[frame["load_start"] < as_of_day(frame, day, 6)]


def _age_promotion(name: str, version: str, hours: float) -> None:
    """The registry as it will be ``hours`` after the promotion (no waiting in a test)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    registry.tag_version(name, version, {registry.CHAMPION_SINCE_TAG: since.isoformat()})


def _scores(uri: str, run_id: str) -> dict[str, tuple]:
    with psycopg.connect(uri) as conn:
        rows = conn.execute(
            """SELECT role, model_version, n_cycles, mae_l, baseline_mae_l, degradation_pct
               FROM ops.shadow_scores WHERE run_id = %s ORDER BY role""",
            (run_id,),
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_degraded_champion_is_rolled_back_after_the_grace_period_with_an_alert(
    dbt_features, warehouse_uri, mlflow_store
):
    cfg = get_settings().monitor.rollback
    name = get_settings().ml.cycle_model_name
    live = mine(dbt_features, None)
    first = training.gate_cycle(_history(live), training.train_cycle_challenger(_history(live)))
    degraded = _history(mine(dbt_features, "road_degradation", start_day=0))
    second = training.gate_cycle(degraded, training.train_cycle_challenger(degraded))
    assert first["promoted"] and second["promoted"], second  # v2 beat v1 on its own cycles
    old, new = first["version"], second["version"]
    assert registry.alias_version(name, "previous") == old
    write_table(warehouse_uri, "features.cycle_features", live)

    # within the grace period: scored beside the previous champion, not rolled back
    within = jobs.run_shadow("grace", as_of_day(live, 17, 12), warehouse_uri)
    assert not within["rolled_back"] and "within the grace" in within["decision"]
    scores = _scores(warehouse_uri, "grace")
    assert set(scores) == {"champion", "previous"}
    champ, prev = scores["champion"], scores["previous"]
    assert (champ[0], prev[0]) == (new, old) and champ[1] == prev[1] >= cfg.min_cycles
    assert champ[4] > cfg.margin_pct and prev[2] < champ[2], scores
    jobs.run_shadow("grace", as_of_day(live, 17, 12), warehouse_uri)  # a re-run adds no row
    with psycopg.connect(warehouse_uri) as conn:
        assert conn.execute("SELECT count(*) FROM ops.shadow_scores").fetchone()[0] == 2
    assert registry.alias_version(name, "champion") == new

    # after the grace period: rolled back, recorded in the registry, alerted
    _age_promotion(name, new, cfg.grace_hours + 1)
    after = jobs.run_shadow("late", as_of_day(live, 18, 12), warehouse_uri)
    assert after["rolled_back"] and after["champion"] == old
    assert registry.alias_version(name, "champion") == old
    assert registry.alias_version(name, "previous") is None  # v1 had no champion before it
    tags = registry.version_tags(name, new)
    assert tags[registry.STATUS_TAG] == "rolled_back" and tags["rolled_back_to"] == old
    assert tags["rolled_back_by"] == "monitor_drift/late"
    assert "automatic rollback" in tags[registry.REASON_TAG]
    with psycopg.connect(warehouse_uri) as conn:
        (row,) = [r for r in read_checks(conn, "late") if r.check_type == "rollback"]
    assert (row.subject, row.column_name, row.severity) == (name, f"v{new}", cfg.severity)
    assert row.details["rolled_back_to"] == old and row.value > cfg.margin_pct
    alert = jobs.run_alerts("late", {}, uri=warehouse_uri)
    assert alert["sent"] == [f"rollback:{name}:v{new}:{cfg.severity}"]
    with psycopg.connect(warehouse_uri) as conn:
        (message,) = conn.execute(
            "SELECT message FROM ops.alert_log WHERE kind = 'monitoring' AND run_id = 'late'"
        ).fetchone()
    assert f"automatic rollback of {name}: champion is now v{old} (was v{new})" in message
    assert "/fuelopt/runbooks/monitor_drift" in message

    # the restored champion is kept; the rolled-back version is still scored, as a challenger
    later = jobs.run_shadow("next", as_of_day(live, 19, 12), warehouse_uri)
    assert not later["rolled_back"]
    scores = _scores(warehouse_uri, "next")
    assert {role: s[0] for role, s in scores.items()} == {"champion": old, "challenger": new}


def test_unchanged_mine_keeps_its_champion(dbt_features, warehouse_uri, mlflow_store):
    cfg = get_settings().monitor.rollback
    name = get_settings().ml.cycle_model_name
    live = mine(dbt_features, None)
    first = training.gate_cycle(_history(live), training.train_cycle_challenger(_history(live)))
    second = training.train_cycle_challenger(_history(live, 16))
    registry.promote(name, second["version"], "on-call promoted the retrained model")
    _age_promotion(name, second["version"], cfg.grace_hours + 1)
    write_table(warehouse_uri, "features.cycle_features", live)
    runs = [(day, hour) for day in (16, 17, 18, 19) for hour in (0, 6, 12, 18)]  # every 6 h
    for k, (day, hour) in enumerate(runs):
        result = jobs.run_shadow(f"u{k}", as_of_day(live, day, hour), warehouse_uri)
        assert not result["rolled_back"], result
        assert "within the margin" in result["decision"], result
        champ = _scores(warehouse_uri, f"u{k}")["champion"]
        assert champ[0] == second["version"] and champ[4] <= cfg.margin_pct
    assert registry.alias_version(name, "champion") == second["version"]
    assert registry.alias_version(name, "previous") == first["version"]
    with psycopg.connect(warehouse_uri) as conn:
        rollbacks = conn.execute("SELECT 1 FROM ops.drift_checks WHERE check_type = 'rollback'")
        assert rollbacks.fetchall() == []


def test_an_unreachable_registry_fails_shadow_scoring_and_alerts(warehouse_uri, monkeypatch):
    from fuelopt.errors import RegistryUnavailable

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(RegistryUnavailable):
        jobs.run_shadow("down", dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC), warehouse_uri)
    with psycopg.connect(warehouse_uri) as conn:
        (row,) = read_checks(conn, "down")
    assert (row.check_type, row.severity) == ("reachability", "critical")
    assert jobs.run_alerts("down", {}, uri=warehouse_uri)["sent"] == [
        f"reachability:{get_settings().ml.cycle_model_name}:registry:critical"
    ]
