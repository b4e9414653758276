"""The champion cycle model's litres for each good haul cycle, kept in ops.cycle_predictions.

The counterfactual of the ``truck_excess`` and ``operator`` levers (marts.fct_fuel_savings,
docs/contracts.md#71-fuel-by-truck-shift-and-saving-levers): what the champion expects a cycle
to burn, beside what the truck burned. Each cycle is scored once per model version (primary
key), in cycle_id order, so a re-run adds nothing and the same cycles and model always give the
same rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.warehouse.db import query_frame, relation, relation_exists

log = logging.getLogger(__name__)
TABLE = "cycle_predictions"  # in the ops schema (include/sql/warehouse/40_cycle_predictions.sql)


def unscored_cycles(
    conn: psycopg.Connection, name: str, version: str, until: datetime
) -> pd.DataFrame:
    """Good cycles (features.cycle_features) of the lookback window ending at ``until`` that
    ``name`` v``version`` has not scored yet, by cycle_id."""
    settings = get_settings()
    features = relation("features", settings.ml.feature_tables["cycles"])
    if not relation_exists(conn, features):
        raise RuntimeError(f"{features.as_string(conn)} does not exist: has dbt run?")
    since = until - timedelta(days=settings.ml.cycle_scoring.lookback_days)
    query = sql.SQL(
        "SELECT f.* FROM {features} f WHERE f.{ts} > %s AND f.{ts} <= %s AND NOT EXISTS ("
        " SELECT 1 FROM {scored} p WHERE p.cycle_id = f.cycle_id"
        " AND p.model_name = %s AND p.model_version = %s) ORDER BY f.cycle_id"
    ).format(
        features=features,
        ts=sql.Identifier(settings.ml.cycle.time_column),
        scored=relation("ops", TABLE),
    )
    return query_frame(conn, query, (since, until, name, version))


def write_predictions(
    conn: psycopg.Connection,
    cycles: pd.DataFrame,
    litres: np.ndarray,
    name: str,
    version: str,
    run_id: str,
    scored_at: datetime,
) -> int:
    """Insert one row per cycle; a cycle this version already scored is left as it is."""
    query = sql.SQL(
        "INSERT INTO {t} (cycle_id, model_name, model_version, predicted_fuel_l, scored_at,"
        " run_id) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    ).format(t=relation("ops", TABLE))
    rows = [
        (cid, name, version, float(v), scored_at, run_id)
        for cid, v in zip(cycles["cycle_id"], litres, strict=True)
    ]
    with conn.cursor() as cur:
        cur.executemany(query, rows)
    return len(rows)


def score_cycles(
    conn: psycopg.Connection, run_id: str, until: datetime, scored_at: datetime
) -> dict[str, Any]:
    """Score the window's unscored good cycles with the cycle model's champion. Without a
    champion nothing is scored (the lever has no counterfactual yet); an unreachable registry
    raises RegistryUnavailable."""
    import mlflow

    from fuelopt.ml.registry import alias_version, registry_call, tracking_uri

    ml = get_settings().ml
    name = ml.cycle_model_name
    version = alias_version(name, ml.promotion.champion_alias)
    if version is None:
        log.warning("no %s@%s: no cycle scored", name, ml.promotion.champion_alias)
        return {"model": name, "version": None, "scored": 0, "note": "no champion cycle model"}
    cycles = unscored_cycles(conn, name, version, until)
    if cycles.empty:
        return {"model": name, "version": version, "scored": 0}
    mlflow.set_tracking_uri(tracking_uri())
    uri = f"models:/{name}/{version}"
    model = registry_call(uri, lambda: mlflow.pyfunc.load_model(uri))
    if model is None:
        raise RuntimeError(f"{uri}: the champion's model cannot be loaded")
    litres = np.asarray(model.predict(cycles.drop(columns=[ml.cycle.target])), dtype=float)
    litres = litres.reshape(-1)
    if not np.isfinite(litres).all():
        raise RuntimeError(f"{uri} predicted a non-finite litre figure")
    scored = write_predictions(conn, cycles, litres, name, version, run_id, scored_at)
    log.info("%s v%s scored %d cycles up to %s", name, version, scored, until)
    return {"model": name, "version": version, "scored": scored}
