"""Shadow scoring of the cycle fuel model on live haul cycles and automatic rollback of a champion
that degraded (docs/contracts.md#shadow-scores-and-automatic-rollback, runbook monitor_drift).

The champion, the previous champion (alias ``previous``) and an unpromoted challenger (alias
``challenger``) predict the litres of the same cycles of the current window; each version's MAE
is set against its own validation MAE (run metric ``cv_mae_l``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from fuelopt.config import get_settings
from fuelopt.monitor.checks import CheckRow, ops_table
from fuelopt.monitor.settings import RollbackSettings

log = logging.getLogger(__name__)
BASELINE_METRIC = "cv_mae_l"
ROLES = ("champion", "previous", "challenger")


@dataclass(frozen=True)
class Score:
    role: str
    version: str
    n_cycles: int
    mae_l: float | None
    mape_pct: float | None
    bias_l: float | None
    baseline_mae_l: float | None

    @property
    def degradation_pct(self) -> float | None:
        """100 x (live MAE - validation MAE) / validation MAE; None when either is unknown."""
        if self.mae_l is None or not self.baseline_mae_l or self.baseline_mae_l <= 0:
            return None
        return (self.mae_l - self.baseline_mae_l) / self.baseline_mae_l * 100


def shadow_versions(name: str) -> dict[str, str]:
    """Role -> version: the champion, the champion it replaced (its ``previous_champion`` tag,
    which the ``previous`` alias mirrors and a rollback returns to) and the challenger when it is
    neither; {} without a champion. An unreachable registry raises RegistryUnavailable."""
    from fuelopt.ml.registry import (
        PREVIOUS_CHAMPION_TAG,
        alias_version,
        registry_call,
        version_tags,
    )

    promo = get_settings().ml.promotion
    champion = alias_version(name, promo.champion_alias)
    if champion is None:
        return {}
    found = {"champion": champion}
    tags = registry_call(f"{name} v{champion} tags", lambda: version_tags(name, champion)) or {}
    previous = tags.get(PREVIOUS_CHAMPION_TAG)
    if previous and previous != champion:
        found["previous"] = previous
    challenger = alias_version(name, promo.challenger_alias)
    if challenger is not None and challenger not in found.values():
        found["challenger"] = challenger
    return found


def live_cycles(frame: pd.DataFrame) -> pd.DataFrame:
    """The window's cycles with a measured (non-negative) target."""
    target = get_settings().ml.cycle.target
    if target not in frame.columns:
        return frame.iloc[0:0]
    litres = pd.to_numeric(frame[target], errors="coerce")
    return frame[litres.notna() & (litres >= 0)].reset_index(drop=True)


def error_metrics(pred: np.ndarray, actual: np.ndarray) -> dict[str, float | None]:
    """MAE, MAPE (%, over cycles with litres > 0) and bias (mean predicted - actual)."""
    err = pred - actual
    positive = actual > 0
    mape = (
        float(np.mean(np.abs(err[positive]) / actual[positive]) * 100) if positive.any() else None
    )
    return {"mae_l": float(np.mean(np.abs(err))), "mape_pct": mape, "bias_l": float(np.mean(err))}


def score_version(name: str, version: str, role: str, cycles: pd.DataFrame) -> Score:
    """``name`` version ``version`` scored on ``cycles``. A model that cannot predict them is
    recorded without errors (logged); an unreachable registry raises RegistryUnavailable."""
    import mlflow

    from fuelopt.ml.registry import registry_call, tracking_uri, version_metrics

    target = get_settings().ml.cycle.target
    baseline = version_metrics(name, version).get(BASELINE_METRIC)
    mlflow.set_tracking_uri(tracking_uri())
    uri = f"models:/{name}/{version}"
    model = registry_call(uri, lambda: mlflow.pyfunc.load_model(uri))
    empty = Score(role, version, len(cycles), None, None, None, baseline)
    if model is None:
        log.warning("%s has no model to load", uri)
        return empty
    try:
        pred = np.asarray(model.predict(cycles.drop(columns=[target])), dtype=float)
    except Exception as exc:  # an old version that cannot score today's frame is reported
        log.warning("%s could not score the window: %s", uri, exc)
        return empty
    if len(pred) != len(cycles) or not np.isfinite(pred).all():
        log.warning(
            "%s gave %d predictions (finite or not) for %d cycles", uri, len(pred), len(cycles)
        )
        return empty
    metrics = error_metrics(pred, cycles[target].to_numpy(dtype=float))
    return Score(role, version, len(cycles), baseline_mae_l=baseline, **metrics)


def write_scores(
    conn: psycopg.Connection,
    name: str,
    window: tuple[datetime, datetime],
    scores: list[Score],
    run_id: str,
    scored_at: datetime,
) -> int:
    """Upsert one row per version of this window: a re-run replaces the figures, never adds a
    row; ``role`` stays what it was when the window was first scored."""
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                """INSERT INTO {} (model_name, model_version, window_start, window_end, role,
                       n_cycles, mae_l, mape_pct, bias_l, baseline_mae_l, degradation_pct,
                       scored_at, run_id)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (model_name, window_start, window_end, model_version) DO UPDATE SET
                       n_cycles = EXCLUDED.n_cycles, mae_l = EXCLUDED.mae_l,
                       mape_pct = EXCLUDED.mape_pct, bias_l = EXCLUDED.bias_l,
                       baseline_mae_l = EXCLUDED.baseline_mae_l,
                       degradation_pct = EXCLUDED.degradation_pct,
                       scored_at = EXCLUDED.scored_at, run_id = EXCLUDED.run_id"""
            ).format(ops_table("shadow_scores")),
            [
                (name, s.version, *window, s.role, s.n_cycles, s.mae_l, s.mape_pct, s.bias_l,
                 s.baseline_mae_l, s.degradation_pct, scored_at, run_id)
                for s in scores
            ],
        )  # fmt: skip
    return len(scores)


def _hours(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds() / 3600


def recent_windows(
    conn: psycopg.Connection,
    name: str,
    versions: dict[str, str],
    until: datetime,
    count: int,
) -> list[dict[str, Score]]:
    """The scores of the champion and the previous champion (``versions``' roles) in the last
    ``count`` windows the champion was scored on, ending at or before ``until``, newest first."""
    champion, previous = versions["champion"], versions.get("previous")
    cur = conn.execute(
        sql.SQL(
            """SELECT c.n_cycles, c.mae_l, c.mape_pct, c.bias_l, c.baseline_mae_l,
                      p.n_cycles, p.mae_l, p.mape_pct, p.bias_l, p.baseline_mae_l
               FROM {t} c LEFT JOIN {t} p
                 ON p.model_name = c.model_name AND p.window_start = c.window_start
                AND p.window_end = c.window_end AND p.model_version = %s
               WHERE c.model_name = %s AND c.model_version = %s AND c.window_end <= %s
               ORDER BY c.window_end DESC, c.window_start DESC LIMIT %s"""
        ).format(t=ops_table("shadow_scores")),
        (previous, name, champion, until, count),
    )
    windows = []
    for row in cur.fetchall():
        found = {"champion": Score("champion", champion, *row[:5])}
        if previous is not None and row[5] is not None:
            found["previous"] = Score("previous", previous, *row[5:])
        windows.append(found)
    return windows


def _hours(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds() / 3600


def _degraded(scores: dict[str, Score], cfg: RollbackSettings) -> str | None:
    """Why one window does not count against the champion; None when it does."""
    champ, prev = scores["champion"], scores.get("previous")
    pct = champ.degradation_pct
    if pct is None:
        return f"no live MAE or no validation {BASELINE_METRIC}"
    if champ.n_cycles < cfg.min_cycles:
        return f"fewer than {cfg.min_cycles} cycles (monitor.rollback.min_cycles)"
    if not pct > cfg.margin_pct:
        return f"within the margin of {cfg.margin_pct:g} %"
    if prev is None:
        return "no previous champion to roll back to"
    if prev.mae_l is None or not prev.mae_l < champ.mae_l:
        other = "could not be scored" if prev.mae_l is None else f"MAE {prev.mae_l:.3g} L"
        return f"previous champion v{prev.version} is no better ({other})"
    return None


def rollback_reason(
    windows: list[dict[str, Score]], champion_since: datetime, now: datetime, cfg: RollbackSettings
) -> tuple[str | None, str]:
    """(why to roll back, None when not; what was decided, in words). ``windows``: the scores of
    the champion and the previous champion in the latest windows, newest (this run's) first."""
    if not windows:
        return None, "no scored window"
    champ = windows[0]["champion"]
    pct = champ.degradation_pct
    live = f"champion v{champ.version}"
    if pct is not None:
        live += (
            f" live MAE {champ.mae_l:.3g} L is {pct:+.1f} % against its validation "
            f"{champ.baseline_mae_l:.3g} L on {champ.n_cycles} cycles"
        )
    not_now = _degraded(windows[0], cfg)
    if not_now is not None:
        return None, f"{live}: {not_now}"
    hours = _hours(champion_since, now)
    if hours < cfg.grace_hours:
        return (
            None,
            f"{live}: champion for {hours:.1f} h, within the grace of {cfg.grace_hours:g} h",
        )
    needed = cfg.sustained_windows
    counted = [w for w in windows[:needed] if _degraded(w, cfg) is None]
    if len(counted) < needed:
        return None, (
            f"{live}: degraded with a better previous champion in {len(counted)} of the last "
            f"{needed} windows (monitor.rollback.sustained_windows)"
        )
    prev = windows[0]["previous"]
    why = (
        f"{live} (margin {cfg.margin_pct:g} %, {needed} windows in a row) after {hours:.1f} h as "
        f"champion; previous champion v{prev.version} MAE {prev.mae_l:.3g} L on the same cycles"
    )
    return why, why


def rollback_row(
    name: str, scores: dict[str, Score], window: tuple[datetime, datetime], reason: str
) -> CheckRow:
    """The ``ops.drift_checks`` row of an automatic rollback (alerted by send_alerts)."""
    cfg = get_settings().monitor.rollback
    champ, prev = scores["champion"], scores["previous"]
    details: dict[str, Any] = {
        "rolled_back_from": champ.version,
        "rolled_back_to": prev.version,
        "window_start": window[0].isoformat(),
        "window_end": window[1].isoformat(),
        "n_cycles": champ.n_cycles,
        "champion_mae_l": champ.mae_l,
        "baseline_mae_l": champ.baseline_mae_l,
        "previous_mae_l": prev.mae_l,
        "reason": reason,
    }
    return CheckRow(
        check_type="rollback",
        subject=name,
        column_name=f"v{champ.version}",
        metric="mae_degradation_pct",
        value=champ.degradation_pct,
        threshold=cfg.margin_pct,
        drift=True,
        severity=cfg.severity,
        details=details,
    )
