"""The jobs of the train_models DAG: read features, train and log a challenger, gate it against
the champion on the same latest folds, and track the demand forecasts in ``ops.predictions``."""

from __future__ import annotations

import json
import logging
import math
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fuelopt.config import get_settings
from fuelopt.ml import registry
from fuelopt.ml.walk_forward import regression_metrics

log = logging.getLogger(__name__)


# --- inputs -------------------------------------------------------------------------------------


def read_table(table: str, uri: str | None = None) -> pd.DataFrame:
    """A whole table of the warehouse ``features`` schema as a DataFrame."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, query_frame, relation

    with connect(uri) as conn:
        return query_frame(conn, sql.SQL("SELECT * FROM {}").format(relation("features", table)))


def load_cycles(uri: str | None = None) -> pd.DataFrame:
    from fuelopt.ml.cycle_model import validate_frame

    ml = get_settings().ml
    table = ml.feature_tables["cycles"]
    return validate_frame(read_table(table, uri), ml.cycle, f"features.{table}")


def load_daily(uri: str | None = None, until: datetime | None = None) -> pd.DataFrame:
    """The daily site features in date order; with ``until`` (the run's data end) only the days
    it completes: a day the data has not reached the end of would be a low target and a low
    forecast origin."""
    from fuelopt.intervals import to_utc
    from fuelopt.ml.demand import validate_daily

    ml = get_settings().ml
    table = ml.feature_tables["daily"]
    frame = read_table(table, uri)
    if until is not None:
        frame = frame[pd.to_datetime(frame["date"]).dt.date < to_utc(until, "until").date()]
    keep = ["date", "fuel_l", *[c for c in ml.demand.exogenous if c in frame.columns]]
    when = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    frame = frame.loc[when.sort_values(kind="stable").index, keep].reset_index(drop=True)
    return validate_daily(frame, ml.demand, f"features.{table}")


def validate_inputs(uri: str | None = None) -> dict[str, Any]:
    """Fail early (BadInput) when the feature tables cannot train the models."""
    cycles, daily = load_cycles(uri), load_daily(uri)
    return {"cycle_rows": len(cycles), "daily_rows": len(daily)}


# --- cycle fuel model ---------------------------------------------------------------------------


def _finite(d: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in d.items() if v is not None and math.isfinite(float(v))}


def reference_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """The drift reference logged with a cycle model: its newest ``reference_sample_rows``
    training rows, contiguous in time, so the monitor's empirical null sees windows like the
    ones it checks (a random sample spreads each block over days and under-states that noise)."""
    cfg = get_settings().ml.cycle
    ordered = frame.sort_values([cfg.time_column, "cycle_id"], kind="stable")
    return ordered.tail(cfg.reference_sample_rows).reset_index(drop=True)


def train_cycle_challenger(frame: pd.DataFrame, tags: dict[str, str] | None = None) -> dict:
    """Walk-forward + final fit, everything logged in one MLflow run, the model registered and
    aliased ``challenger``. Returns the version and its per-fold MAE (for the gate)."""
    import mlflow

    from fuelopt.ml import cycle_model as cm
    from fuelopt.ml.reporting import importance_plot, residual_plot

    ml = get_settings().ml
    cfg = ml.cycle
    registry.setup_experiment()
    model = cm.train_cycle_model(frame, cfg, ml.seed)
    summary = model.cv.summary
    with (
        mlflow.start_run(run_name=f"{ml.cycle_model_name}", tags=tags or {}) as run,
        tempfile.TemporaryDirectory() as tmp,
    ):
        tmpdir = Path(tmp)
        mlflow.log_params(
            {
                "rows": model.rows,
                "folds": len(model.cv.folds),
                "num_boost_round": model.cfg.num_boost_round,
                **{f"xgb_{k}": v for k, v in model.cfg.xgb_params.items()},
                "tuned": model.tuning is not None,
                **{f"wf_{k}": v for k, v in cfg.walk_forward.model_dump().items()},
                "data_window_start": model.data_window[0],
                "data_window_end": model.data_window[1],
            }
        )
        mlflow.log_metrics(_finite(_cycle_metrics(summary, model.train_seconds)))
        if model.tuning is not None:
            _log_tuning(tmpdir, model.tuning)
        table_path = tmpdir / "walk_forward.csv"
        model.cv.table.to_csv(table_path, index=False)
        mlflow.log_artifact(str(table_path))
        ref = reference_sample(frame)
        ref_dir = tmpdir / "reference"
        ref_dir.mkdir()
        ref.to_parquet(ref_dir / "cycle_features.parquet", index=False)
        mlflow.log_artifact(str(ref_dir / "cycle_features.parquet"), artifact_path="reference")
        mlflow.log_artifact(str(importance_plot(model.booster, tmpdir / "feature_importance.png")))
        y = frame[cfg.target].to_numpy(dtype=float)
        oof = model.cv.oof["xgboost"]
        mlflow.log_artifact(
            str(residual_plot(y, oof, tmpdir / "residuals.png", "cycle fuel: out-of-fold"))
        )
        artifacts = cm.write_artifacts(model, tmpdir / "model")
        version = registry.log_model(
            cm.PYFUNC_CODE,
            artifacts,
            ml.cycle_model_name,
            cm.pip_requirements(),
            cm.PYFUNC_CODE_PATHS,
        )
        _log_card(tmpdir, _cycle_card(model, version, run.info.run_id))
    registry.mark_challenger(
        ml.cycle_model_name,
        version,
        run.info.run_id,
        {
            "cv_mae_l": round(summary["xgboost"]["mae"], 4),
            "data_window": " to ".join(str(w) for w in model.data_window),
        },
    )
    fold_mae = {
        _fold_key(f): float(m)
        for f, m in zip(
            model.cv.folds, model.cv.table[model.cv.table.model == "xgboost"]["mae"], strict=True
        )
    }
    return {
        "name": ml.cycle_model_name,
        "version": str(version),
        "run_id": run.info.run_id,
        "cv_mae_l": summary["xgboost"]["mae"],
        "cv_mape_pct": summary["xgboost"]["mape_pct"],
        "cv_r2": summary["xgboost"]["r2"],
        "physics_mae_l": summary["physics"]["mae"],
        "fold_mae": fold_mae,
    }


def _cycle_metrics(summary: dict, train_seconds: float) -> dict[str, float]:
    """The run's metrics: walk-forward means of the model (``cv_``) and its two baselines."""
    metrics = {"train_seconds": train_seconds}
    for name, prefix in (("xgboost", "cv"), ("physics", "physics"), ("linear", "linear")):
        s = summary[name]
        metrics.update(
            {
                f"{prefix}_mae_l": s["mae"],
                f"{prefix}_rmse_l": s["rmse"],
                f"{prefix}_mape_pct": s["mape_pct"],
                f"{prefix}_r2": s["r2"],
            }
        )
    return metrics


def _log_tuning(tmpdir: Path, tuning) -> None:
    """The Optuna study in the run: its best MAE and size as metrics, every trial as a CSV."""
    import mlflow

    mlflow.log_metrics(
        {
            "tuning_best_mae_l": tuning.best_mae_l,
            "tuning_trials": float(len(tuning.trials)),
            "tuning_folds": float(tuning.folds),
        }
    )
    mlflow.set_tag("tuning_timed_out", str(tuning.timed_out).lower())
    path = tmpdir / "tuning_trials.csv"
    tuning.trials.to_csv(path, index=False)
    mlflow.log_artifact(str(path), artifact_path="tuning")


def _cycle_card(model, version: str, run_id: str) -> str:
    from fuelopt.ml import cycle_model as cm
    from fuelopt.ml.reporting import model_card

    ml = get_settings().ml
    cfg, summary = ml.cycle, model.cv.summary
    table = pd.DataFrame(
        [
            {"model": name, **{k: summary[name][k] for k in ("mae", "rmse", "mape_pct", "r2")}}
            for name in cm.MODELS
        ]
    )
    return model_card(
        {
            "model_name": ml.cycle_model_name,
            "version": version,
            "run_id": run_id,
            "purpose": "litres of diesel per haul cycle, used by the fleet optimiser",
            "data_window": " to ".join(str(w) for w in model.data_window),
            "rows": f"{model.rows} cycles",
            "algorithm": f"XGBoost hist, {model.cfg.num_boost_round} rounds, native categoricals"
            + (
                f"; hyper-parameters tuned by Optuna ({len(model.tuning.trials)} trials on "
                f"{model.tuning.folds} earlier folds): {model.tuning.params}"
                if model.tuning is not None
                else ""
            ),
            "features": ", ".join(f"`{f}`" for f in model.meta["model_features"])
            + "".join(
                f"; `{f}` floored to a multiple of {step:g}"
                for f, step in model.meta["feature_steps"].items()
            ),
            "validation": f"{len(model.cv.folds)} folds, {cfg.walk_forward.model_dump()}",
            "limitations": (
                "Operator effects and sensor noise are not in the inputs (irreducible "
                "error). Unseen truck models or road conditions are treated as missing; "
                "extrapolation beyond the training ranges of grade, distance and payload "
                "is unreliable. Validated on time-ordered folds of the same site only."
            ),
            "usage": "litres = model.predict(cycle_frame)  # one figure per row",
        },
        table,
    )


def _log_card(tmpdir: Path, card: str) -> None:
    import mlflow

    (tmpdir / "model_card.md").write_text(card)
    mlflow.log_artifact(str(tmpdir / "model_card.md"))


def _fold_key(fold) -> str:
    """A fold's identity across tasks: its cutoff (or its number for row-order folds)."""
    return fold.cutoff.isoformat() if fold.cutoff is not None else f"#{fold.number}"


def _load_version(name: str, version: str):
    import mlflow

    mlflow.set_tracking_uri(registry.tracking_uri())
    return mlflow.pyfunc.load_model(f"models:/{name}/{version}")


def cycle_sanity(pred: np.ndarray) -> list[str]:
    cfg = get_settings().ml.cycle
    problems = []
    if not np.isfinite(pred).all():
        problems.append(f"{int((~np.isfinite(pred)).sum())} NaN/inf predictions")
    finite = pred[np.isfinite(pred)]
    if len(finite) and (finite.min() < cfg.min_fuel_l or finite.max() > cfg.max_fuel_l):
        problems.append(
            f"predictions outside [{cfg.min_fuel_l}, {cfg.max_fuel_l}] L "
            f"(min {finite.min():.1f}, max {finite.max():.1f})"
        )
    return problems


def cycle_shortfalls(challenger: dict) -> list[str]:
    """Where a cycle challenger misses ``ml.promotion.targets.cycle``."""
    target = get_settings().ml.promotion.targets.cycle
    mape, r2 = challenger["cv_mape_pct"], challenger["cv_r2"]
    out = []
    if not mape <= target.max_cv_mape_pct:  # NaN misses too
        out.append(f"CV MAPE {mape:.3g} % > {target.max_cv_mape_pct:g} %")
    if not r2 >= target.min_cv_r2:
        out.append(f"CV R² {r2:.3g} < {target.min_cv_r2:g}")
    return out


def demand_shortfalls(metrics: dict[str, float], horizons: list[int]) -> list[str]:
    """Where a demand challenger misses ``ml.promotion.targets.demand`` on a validated horizon:
    MAPE where it has ``min_forecasts`` walk-forward forecasts, coverage where as many of them
    have intervals (a history too short for that has nothing to judge yet)."""
    target = get_settings().ml.promotion.targets.demand
    out = []
    for h in horizons:
        mape, cover = metrics.get(f"mape_h{h}"), metrics.get(f"coverage80_h{h}")
        if metrics.get(f"forecasts_h{h}", 0) < target.min_forecasts:
            mape = None
        if metrics.get(f"interval_forecasts_h{h}", 0) < target.min_forecasts:
            cover = None
        if mape is not None and mape > target.max_mape_pct:
            out.append(f"h{h} MAPE {mape:.3g} % > {target.max_mape_pct:g} %")
        if cover is not None and cover < target.min_coverage80_pct:
            out.append(f"h{h} 80 % coverage {cover:.3g} % < {target.min_coverage80_pct:g} %")
    return out


def gate_cycle(frame: pd.DataFrame, challenger: dict) -> dict:
    """Promote the challenger when it passes sanity, meets the targets and beats the champion's
    MAE by the margin on the same latest walk-forward folds; otherwise tag it rejected with the
    reason."""
    from fuelopt.ml.walk_forward import time_folds

    ml = get_settings().ml
    cfg, promo = ml.cycle, ml.promotion
    name, version = challenger["name"], challenger["version"]
    features = frame.drop(columns=[cfg.target])
    problems = cycle_sanity(np.asarray(_load_version(name, version).predict(features), float))
    times = frame[cfg.time_column] if cfg.time_column in frame.columns else None
    common = [
        f for f in time_folds(times, cfg.walk_forward) if _fold_key(f) in challenger["fold_mae"]
    ]
    if not common:
        raise RuntimeError("the feature table changed since training: no common fold to compare")
    champion_version = registry.alias_version(name, promo.champion_alias)
    # Prefer folds the champion never trained on (cutoff after its data window), so that both
    # are scored out of sample; without new data the latest folds favour the champion.
    unseen = _folds_after(common, champion_version, name)
    folds = (unseen or common)[-promo.compare_folds :]
    chall_mae = float(np.mean([challenger["fold_mae"][_fold_key(f)] for f in folds]))
    champ_mae = None
    if champion_version is not None:
        champion = _load_version(name, champion_version)
        y = frame[cfg.target].to_numpy(dtype=float)
        champ_mae = float(
            np.mean(
                [
                    regression_metrics(
                        y[f.test], np.asarray(champion.predict(features.iloc[f.test]), float)
                    )["mae"]
                    for f in folds
                ]
            )
        )
    decision = _decide(
        name, version, champion_version, chall_mae, champ_mae, problems,
        cycle_shortfalls(challenger),
    )  # fmt: skip
    return {**decision, "compared_folds": [_fold_key(f) for f in folds]}


def _folds_after(folds: list, champion_version: str | None, name: str) -> list:
    """The folds whose cutoff is after the end of the champion's training data."""
    if champion_version is None:
        return []
    window = registry.version_tags(name, champion_version).get("data_window", "")
    try:
        end = pd.Timestamp(window.split(" to ")[-1])
    except ValueError:
        return []
    if pd.isna(end):
        return []
    end = end.tz_localize("UTC") if end.tzinfo is None else end
    return [f for f in folds if f.cutoff is not None and f.cutoff > end]


def _decide(name, version, champion_version, chall_mae, champ_mae, problems, shortfalls=()) -> dict:
    promo = get_settings().ml.promotion
    if problems:
        reason = "sanity: " + "; ".join(problems)
    elif shortfalls:
        reason = "below target: " + "; ".join(shortfalls)
    elif champion_version is not None and champ_mae is None:
        reason = f"champion v{champion_version} could not be scored on the same folds"
    elif champ_mae is None or chall_mae <= champ_mae * (1 - promo.margin_pct / 100):
        reason = None
    else:
        reason = (
            f"MAE {chall_mae:.4g} on the latest folds is not {promo.margin_pct}% better than "
            f"champion v{champion_version}'s {champ_mae:.4g}"
        )
    comparison = {"challenger_mae": round(chall_mae, 6), "champion_mae": champ_mae}
    if reason is None:
        why = (
            "first champion"
            if champ_mae is None
            else f"MAE {chall_mae:.4g} vs champion v{champion_version} {champ_mae:.4g}"
        )
        registry.promote(name, version, why)
        log.info("%s v%s promoted to champion: %s", name, version, why)
        return {
            "promoted": True,
            "version": version,
            "previous": champion_version,
            "reason": why,
            **comparison,
        }
    registry.tag_version(
        name, version, {registry.STATUS_TAG: "rejected", registry.REASON_TAG: reason}
    )
    log.warning("%s v%s rejected: %s", name, version, reason)
    return {
        "promoted": False,
        "version": version,
        "previous": champion_version,
        "reason": reason,
        **comparison,
    }


# --- demand forecast ----------------------------------------------------------------------------


def train_demand_challenger(daily: pd.DataFrame, tags: dict[str, str] | None = None) -> dict:
    """Walk-forward, calibration and final per-horizon models logged and registered as
    ``challenger``; per-horizon validation metrics (``mape_h7``, ``coverage80_h7`` …)."""
    import mlflow

    from fuelopt.ml import demand as dm
    from fuelopt.ml.reporting import residual_plot

    ml = get_settings().ml
    cfg = ml.demand
    registry.setup_experiment()
    model = dm.fit_demand(daily, cfg, list(cfg.horizons), ml.seed)
    with (
        mlflow.start_run(run_name=ml.demand_model_name, tags=tags or {}) as run,
        tempfile.TemporaryDirectory() as tmp,
    ):
        tmpdir = Path(tmp)
        mlflow.log_params(
            {
                "horizons": ",".join(map(str, cfg.horizons)),
                "lags": ",".join(map(str, cfg.lags)),
                "level_window_days": cfg.level_window_days,
                "num_boost_round": cfg.num_boost_round,
                **{f"xgb_{k}": v for k, v in cfg.xgb_params.items()},
                **{f"wf_{k}": v for k, v in cfg.walk_forward.model_dump().items()},
                "data_window_start": model.meta["data_window"][0],
                "data_window_end": model.meta["data_window"][1],
                **{f"kind_h{h}": s["kind"] for h, s in model.meta["horizons"].items()},
                "candidates": ",".join(cfg.candidates),
                "ensemble_members": ",".join(cfg.ensemble_members),
                "fallback_candidate": cfg.fallback_candidate,
                **{f"stat_{k}": v for k, v in cfg.stat.model_dump().items()},
            }
        )
        metrics = _demand_metrics(model.summary)
        mlflow.log_metrics(_finite(metrics))
        mlflow.log_metrics(_finite(_candidate_metrics(model.candidates)))
        model.cv.to_csv(tmpdir / "walk_forward.csv", index=False)
        mlflow.log_artifact(str(tmpdir / "walk_forward.csv"))
        model.candidates.to_csv(tmpdir / "candidates.csv", index=False)
        mlflow.log_artifact(str(tmpdir / "candidates.csv"))
        if len(model.cv):
            mlflow.log_artifact(
                str(
                    residual_plot(
                        model.cv["actual"].to_numpy(float),
                        model.cv["pred"].to_numpy(float),
                        tmpdir / "residuals.png",
                        "daily fuel demand: out-of-fold, all horizons",
                    )
                )
            )
        artifacts = dm.write_artifacts(model, tmpdir / "model")
        version = registry.log_model(
            dm.PYFUNC_CODE, artifacts, ml.demand_model_name, dm.pip_requirements()
        )
        _log_card(tmpdir, _demand_card(model, daily, version, run.info.run_id))
    registry.mark_challenger(
        ml.demand_model_name,
        version,
        run.info.run_id,
        {"data_window": " to ".join(model.meta["data_window"])},
    )
    cv = model.cv
    folds = sorted(cv["fold"].unique().tolist()) if len(cv) else []
    recent = cv[cv["fold"].isin(folds[-ml.promotion.compare_folds :])] if folds else cv
    return {
        "name": ml.demand_model_name,
        "version": str(version),
        "run_id": run.info.run_id,
        "recent": recent.reindex(columns=["origin", "horizon_days", "actual", "pred"])
        .astype({"origin": str})
        .to_dict(orient="list"),
        "metrics": {k: round(v, 6) for k, v in _finite(metrics).items()},
    }


def _demand_metrics(summary: dict) -> dict[str, float]:
    """Per-horizon walk-forward metrics: ``mape_h7``, ``coverage80_h7`` (percent) …"""
    metrics = {}
    for h, m in summary.items():
        metrics.update(
            {
                f"mape_h{h}": m["mape_pct"],
                f"mae_h{h}": m["mae"],
                f"rmse_h{h}": m["rmse"],
                f"snaive_mape_h{h}": m["snaive_mape_pct"],
                f"coverage80_h{h}": m["coverage80_pct"],
                f"coverage95_h{h}": m["coverage95_pct"],
                f"width80_h{h}": m["width80"],
                f"width95_h{h}": m["width95"],
                f"forecasts_h{h}": m["n"],
                f"interval_forecasts_h{h}": m["n_interval"],
            }
        )
    return metrics


def _candidate_metrics(candidates: pd.DataFrame) -> dict[str, float]:
    """Every candidate's fold MAPE per horizon: ``candidate_mape_h7_AutoETS`` (percent) …"""
    return {
        f"candidate_mape_h{r.horizon_days}_{r.candidate}": float(r.mape_pct)
        for r in candidates.itertuples()
    }


def _candidate_table(candidates: pd.DataFrame) -> str:
    """Markdown: fold MAPE of every candidate (columns) per horizon, and the one chosen."""
    from fuelopt.ml.reporting import markdown_table

    if not len(candidates):
        return "No candidate was validated."
    wide = candidates.pivot(index="horizon_days", columns="candidate", values="mape_pct")
    wide = wide[list(dict.fromkeys(candidates["candidate"]))]
    chosen = candidates[candidates["chosen"]].set_index("horizon_days")["candidate"]
    table = wide.add_prefix("mape_pct ").assign(chosen=chosen).reset_index()
    return "Candidates, fold MAPE (%) per horizon:\n\n" + markdown_table(table)


def _demand_card(model, daily: pd.DataFrame, version: str, run_id: str) -> str:
    from fuelopt.ml import demand as dm
    from fuelopt.ml.reporting import model_card

    ml = get_settings().ml
    cfg = ml.demand
    table = pd.DataFrame(
        [
            {
                "horizon_days": h,
                "mape_pct": m["mape_pct"],
                "snaive_mape_pct": m["snaive_mape_pct"],
                "mae_l": m["mae"],
                "coverage80_pct": m["coverage80_pct"],
                "coverage95_pct": m["coverage95_pct"],
            }
            for h, m in model.summary.items()
        ]
    )
    return model_card(
        {
            "model_name": ml.demand_model_name,
            "version": version,
            "run_id": run_id,
            "purpose": "site diesel litres per day at 7/15/30 days, for procurement",
            "data_window": " to ".join(model.meta["data_window"]),
            "rows": f"{len(dm.to_daily(daily, list(cfg.exogenous)))} days",
            "algorithm": "per horizon, the candidate with the lowest walk-forward MAPE if "
            f"{cfg.selection_margin_pct:g} % below the fallback {cfg.fallback_candidate}'s ("
            + ", ".join(f"{h} d: {s['kind']}" for h, s in model.meta["horizons"].items())
            + ") among "
            + ", ".join(cfg.candidates)
            + "; split-conformal 80 %/95 % intervals from the chosen candidate's fold residuals",
            "features": "XGBoost: lags " + ", ".join(map(str, cfg.lags)) + "; seasonal naive; "
            "level trend; calendar of the target day; exogenous "
            + ", ".join(cfg.exogenous)
            + " (xgboost_sa: the same on the series less its MSTL seasons, added back)"
            + ". Statistical candidates: the daily series alone (gaps interpolated), season "
            f"{cfg.stat.season_length} days; MSTL seasons {cfg.stat.mstl_season_lengths} days, "
            f"each once the history holds {cfg.stat.min_seasons} cycles of it.",
            "validation": f"{model.cv['fold'].nunique() if len(model.cv) else 0} cutoffs, "
            f"{cfg.walk_forward.model_dump()}\n\n{_candidate_table(model.candidates)}",
            "limitations": (
                "Regime changes (new pit phase, fleet change) invalidate the lag structure "
                "until re-trained; the candidate chosen on past folds may not stay the best; "
                "intervals assume future residuals like the past ones; "
                "planned tonnes are used as known only up to the forecast origin."
            ),
            "usage": "forecast = model.predict(daily_history)  # one row per horizon",
        },
        table,
    )


def _champion_demand_mae(champion, daily: pd.DataFrame, recent: pd.DataFrame) -> float | None:
    """The champion's MAE on the challenger's latest out-of-fold (origin, horizon) pairs, each
    forecast from the history up to its origin only."""
    if not len(recent):
        return None
    dates = pd.to_datetime(daily["date"]).dt.tz_localize(None)
    errors = []
    for origin, group in recent.groupby("origin"):
        sub = daily[dates <= pd.Timestamp(origin)]
        fc = champion.predict(sub).set_index("horizon_days")["pred"]
        for row in group.itertuples():
            if int(row.horizon_days) in fc.index:
                errors.append(abs(float(fc[int(row.horizon_days)]) - float(row.actual)))
    return float(np.mean(errors)) if errors else None


def gate_demand(daily: pd.DataFrame, challenger: dict) -> dict:
    """Same rule as the cycle model: sanity of the challenger's forecast, the targets, then MAE
    on the same latest out-of-fold forecasts against the champion's."""
    from fuelopt.ml.demand import sanity_problems

    ml = get_settings().ml
    name, version = challenger["name"], challenger["version"]
    model = _load_version(name, version)
    fc = model.predict(daily)
    max_daily = float(pd.to_numeric(daily["fuel_l"], errors="coerce").max())
    problems = sanity_problems(fc, max_daily, ml.demand.max_daily_factor)
    recent = pd.DataFrame(challenger["recent"])
    chall_mae = float(np.mean(np.abs(recent["pred"] - recent["actual"]))) if len(recent) else 0.0
    champion_version = registry.alias_version(name, ml.promotion.champion_alias)
    champ_mae = None
    if champion_version is not None:
        champ_mae = _champion_demand_mae(_load_version(name, champion_version), daily, recent)
    shortfalls = demand_shortfalls(challenger["metrics"], list(ml.demand.horizons))
    return _decide(name, version, champion_version, chall_mae, champ_mae, problems, shortfalls)


def issue_forecasts(
    daily: pd.DataFrame, issued_at: datetime, run_id: str, uri: str | None = None
) -> dict:
    """Forecast with the demand champion and store every row in ``ops.predictions``. Idempotent
    per run: the run's earlier rows are replaced, never duplicated."""
    from psycopg import sql

    from fuelopt.warehouse.db import connect, relation

    ml = get_settings().ml
    name = ml.demand_model_name
    version = registry.alias_version(name, ml.promotion.champion_alias)
    if version is None:
        raise RuntimeError(
            f"{name} has no @{ml.promotion.champion_alias}: nothing to forecast with"
        )
    fc = _load_version(name, version).predict(daily)
    rows = [
        (
            name,
            version,
            issued_at,
            int(r.horizon_days),
            r.target_date,
            float(r.pred),
            float(r.lo80),
            float(r.hi80),
            float(r.lo95),
            float(r.hi95),
            run_id,
        )
        for r in fc.itertuples()
    ]
    predictions = relation("ops", "predictions")
    with connect(uri) as conn:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE model_name = %s AND run_id = %s").format(predictions),
            (name, run_id),
        )
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    """INSERT INTO {} (model_name, model_version, issued_at,
                           horizon_days, target_date, pred, lo80, hi80, lo95, hi95, run_id)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                       ON CONFLICT (model_name, model_version, issued_at, horizon_days, target_date)
                       DO UPDATE SET pred = EXCLUDED.pred, lo80 = EXCLUDED.lo80,
                           hi80 = EXCLUDED.hi80, lo95 = EXCLUDED.lo95, hi95 = EXCLUDED.hi95,
                           run_id = EXCLUDED.run_id"""
                ).format(predictions),
                rows,
            )
    return {
        "model": name,
        "version": version,
        "rows": len(rows),
        "forecast": json.loads(fc.to_json(orient="records", date_format="iso")),
    }
