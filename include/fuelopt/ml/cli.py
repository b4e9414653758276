"""Subcommands of this area (registered by fuelopt.cli): train-cycle-model, forecast-demand,
model promote|rollback. Heavy imports stay inside the handlers."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the ``fuelopt`` parser."""
    p = sub.add_parser(
        "train-cycle-model",
        help="train the cycle fuel model on a cycle feature frame and save an MLflow model",
    )
    p.add_argument("--input", required=True, help="cycle-level feature frame (.csv/.parquet)")
    p.add_argument("--model-out", required=True, help="directory for the MLflow pyfunc model")
    p.set_defaults(handler=_train_cycle_model)

    p = sub.add_parser(
        "forecast-demand", help="forecast site diesel per day for the given horizons"
    )
    p.add_argument("--input", required=True, help="daily series: date, fuel_l[, planned_t…]")
    p.add_argument("--horizons", default=None, help="comma-separated days, e.g. 7,15,30")
    p.add_argument("--out", required=True, help="forecast file (.csv/.parquet)")
    p.set_defaults(handler=_forecast_demand)

    p = sub.add_parser("model", help="on-call registry actions (champion alias)")
    msub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("promote", "point the champion alias at a version (default: the latest)"),
        ("rollback", "move the champion alias back to the previous champion"),
    ):
        a = msub.add_parser(action, help=text)
        a.add_argument("--name", required=True, help="registered model name")
        if action == "promote":
            a.add_argument("--version", default=None, help="model version (default: latest)")
        a.add_argument("--reason", default=f"manual {action} by on-call", help="recorded why")
        a.set_defaults(handler=_model_action)


def _parse_horizons(text: str | None) -> list[int]:
    from fuelopt.config import get_settings
    from fuelopt.errors import BadInput

    cfg = get_settings().ml.demand
    if text is None:
        return list(cfg.horizons)
    try:
        horizons = [int(h) for h in text.split(",") if h.strip()]
    except ValueError:
        raise BadInput(f"--horizons: {text!r} is not a comma-separated list of days") from None
    if not horizons or min(horizons) < 1:
        raise BadInput(f"--horizons: {text!r} must list positive whole days")
    if max(horizons) > cfg.max_horizon_days:
        raise BadInput(
            f"--horizons: {max(horizons)} days is beyond {cfg.max_horizon_days}"
            " (ml.demand.max_horizon_days)"
        )
    return sorted(set(horizons))


def _train_cycle_model(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fuelopt.config import get_settings
    from fuelopt.frames import read_frame
    from fuelopt.ml.cycle_model import (
        PYFUNC_CODE,
        PYFUNC_CODE_PATHS,
        cli_metrics,
        pip_requirements,
        train_cycle_model,
        validate_frame,
        write_artifacts,
    )
    from fuelopt.ml.registry import save_model_dir

    ml = get_settings().ml
    frame = validate_frame(read_frame(args.input), ml.cycle, args.input)
    model = train_cycle_model(frame, ml.cycle, ml.seed)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        artifacts = write_artifacts(model, Path(tmp))
        save_model_dir(
            PYFUNC_CODE, artifacts, Path(args.model_out), pip_requirements(), PYFUNC_CODE_PATHS
        )
    print(json.dumps({**cli_metrics(model), "model_out": str(args.model_out)}))
    return 0


def _forecast_demand(args: argparse.Namespace) -> int:
    from fuelopt.config import get_settings
    from fuelopt.frames import read_frame, write_frame
    from fuelopt.ml.demand import forecast_from_history, validate_daily

    cfg = get_settings().ml.demand
    horizons = _parse_horizons(args.horizons)
    daily = validate_daily(read_frame(args.input), cfg, args.input)
    forecast = forecast_from_history(daily, cfg, horizons, get_settings().ml.seed)
    write_frame(forecast, args.out)
    return 0


def _model_action(args: argparse.Namespace) -> int:
    from fuelopt.ml import registry

    registry.check_model_name(args.name)  # before the registry is touched
    if args.action == "promote":
        version = args.version or registry.latest_version(args.name)
        result = registry.promote(args.name, version, args.reason)
    else:
        result = registry.rollback(args.name, args.reason)
    print(json.dumps(result))
    return 0
