"""Configuration of the ml package (section `ml` of include/config/fuelopt.yaml)."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from fuelopt.settings_base import Section, SqlName


class WalkForwardSettings(Section):
    """Expanding-window, rolling-origin validation: first cutoff after ``initial_days``, a new
    cutoff every ``step_days``, each fold tested on the next ``test_days``."""

    initial_days: int = Field(gt=0)
    step_days: int = Field(gt=0)
    test_days: int = Field(gt=0)
    max_folds: int = Field(gt=0)
    # When the data span is too short for one day-based fold: block folds on the row order.
    fallback_initial_fraction: float = Field(gt=0, lt=1)
    fallback_folds: int = Field(gt=0)


class TuningRange(Section):
    """One hyper-parameter's search range."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> TuningRange:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


class TuningSettings(Section):
    """Optuna search of the cycle model on the walk-forward folds before the gate's."""

    enabled: bool
    trials: int = Field(ge=0, le=500)
    timeout_seconds: float = Field(gt=0)
    space: dict[str, TuningRange]


class CycleModelSettings(Section):
    """Cycle fuel model: XGBoost hyper-parameters and sanity bounds (litres per cycle)."""

    target: SqlName
    time_column: SqlName
    numeric_features: list[SqlName]
    categorical_features: list[SqlName]
    # Numeric features floored to a multiple of their step before the model sees them.
    feature_steps: dict[SqlName, float] = Field(default_factory=dict)
    xgb_params: dict[str, float | int | str]
    num_boost_round: int = Field(gt=0)
    # Below this many rows XGBoost trains and predicts on one thread (faster on small data,
    # shared cores).
    single_thread_below_rows: int = Field(ge=0)
    min_rows: int = Field(gt=0)
    min_fuel_l: float = Field(ge=0)
    max_fuel_l: float = Field(gt=0)
    reference_sample_rows: int = Field(gt=0)
    walk_forward: WalkForwardSettings
    tuning: TuningSettings

    @model_validator(mode="after")
    def _steps_of_numeric_features(self) -> CycleModelSettings:
        for name, step in self.feature_steps.items():
            if name not in self.numeric_features:
                raise ValueError(f"feature_steps: {name} is not one of numeric_features")
            if not step > 0:
                raise ValueError(f"feature_steps: the step of {name} must be positive")
        return self


class CycleScoringSettings(Section):
    """The champion's litres per good haul cycle in ops.cycle_predictions (levers truck_excess,
    operator)."""

    lookback_days: float = Field(gt=0, le=366)  # cycles up to this long before the run's end


# Demand forecast candidates: seasonal naive, the direct XGBoost model on the series and on the
# MSTL-deseasonalised series, statsforecast models and the mean of several of them.
DEMAND_CANDIDATES = (
    "snaive",
    "xgboost",
    "xgboost_sa",
    "AutoETS",
    "DynamicOptimizedTheta",
    "MSTL",
    "ensemble",
)


class DemandStatSettings(Section):
    """Season lengths of the statsforecast candidates; a season is modelled only when the
    history holds ``min_seasons`` full cycles of it."""

    season_length: int = Field(gt=1, le=366)
    mstl_season_lengths: list[int]
    min_seasons: int = Field(ge=2)
    # xgboost_sa: a season this long or longer is removed as its mean cycle, smoothed by a
    # circular moving mean of 2 x smoothing_half_width_days + 1 days.
    smooth_from_days: int = Field(gt=7)
    smoothing_half_width_days: int = Field(ge=0, le=60)

    @model_validator(mode="after")
    def _seasons(self) -> DemandStatSettings:
        lengths = self.mstl_season_lengths
        if not lengths or min(lengths) < 2 or max(lengths) > 366:
            raise ValueError("mstl_season_lengths: a non-empty list of days between 2 and 366")
        if sorted(set(lengths)) != lengths:
            raise ValueError("mstl_season_lengths: increasing, without repeats")
        return self


class DemandModelSettings(Section):
    """Fuel demand forecast: per horizon, the candidate with the lowest walk-forward MAPE, with
    split-conformal intervals from its fold residuals."""

    horizons: list[int]
    max_horizon_days: int = Field(ge=1)
    lags: list[int]
    level_window_days: int = Field(gt=0)
    min_history_days: int = Field(gt=0)
    min_train_rows: int = Field(gt=0)
    min_calibration_residuals: int = Field(gt=0)
    exogenous: list[SqlName]
    xgb_params: dict[str, float | int | str]
    num_boost_round: int = Field(gt=0)
    max_daily_factor: float = Field(gt=1)
    walk_forward: WalkForwardSettings
    candidates: list[str]
    fallback_candidate: str
    # Out-of-fold forecasts a horizon needs before a candidate other than the fallback is chosen.
    min_selection_forecasts: int = Field(gt=0)
    # Another candidate replaces the fallback only with a fold MAPE this much lower (percent).
    selection_margin_pct: float = Field(ge=0, lt=100)
    ensemble_members: list[str]
    stat: DemandStatSettings

    @model_validator(mode="after")
    def _known_candidates(self) -> DemandModelSettings:
        unknown = [c for c in self.candidates if c not in DEMAND_CANDIDATES]
        if unknown or not self.candidates:
            raise ValueError(
                f"candidates: {unknown or 'none'}; known: {', '.join(DEMAND_CANDIDATES)}"
            )
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("candidates: listed twice")
        if self.fallback_candidate not in self.candidates:
            raise ValueError(f"fallback_candidate {self.fallback_candidate!r} is not a candidate")
        members = self.ensemble_members
        if len(set(members)) < 2 or len(set(members)) != len(members) or "ensemble" in members:
            raise ValueError("ensemble_members: at least two other candidates, each once")
        missing = [m for m in members if m not in self.candidates]
        if "ensemble" in self.candidates and missing:
            raise ValueError(f"ensemble_members: {missing} not among the candidates")
        return self

    @model_validator(mode="after")
    def _positive(self) -> DemandModelSettings:
        if not self.horizons or min(self.horizons) < 1 or not self.lags or min(self.lags) < 1:
            raise ValueError("horizons and lags must be non-empty lists of positive days")
        if max(self.horizons) > self.max_horizon_days:
            raise ValueError(f"horizons: {max(self.horizons)} is above max_horizon_days")
        return self


class CycleTargets(Section):
    """What a cycle model must reach on its walk-forward folds to become champion at all."""

    max_cv_mape_pct: float = Field(gt=0)
    min_cv_r2: float = Field(le=1)


class DemandTargets(Section):
    """What a demand model must reach on every validated horizon to become champion at all."""

    max_mape_pct: float = Field(gt=0)
    min_coverage80_pct: float = Field(ge=0, le=100)
    min_forecasts: int = Field(ge=1)


class TargetSettings(Section):
    cycle: CycleTargets
    demand: DemandTargets


class PromotionSettings(Section):
    """Champion/challenger gate: a challenger must meet the model card's ``targets`` and beat
    the champion by ``margin_pct`` on MAE measured on the same latest ``compare_folds``
    walk-forward folds."""

    margin_pct: float = Field(ge=0)
    compare_folds: int = Field(gt=0)
    champion_alias: str
    challenger_alias: str
    previous_alias: str
    targets: TargetSettings

    @model_validator(mode="after")
    def _distinct_aliases(self) -> PromotionSettings:
        aliases = (self.champion_alias, self.challenger_alias, self.previous_alias)
        if len(set(aliases)) != len(aliases):
            raise ValueError("champion_alias, challenger_alias and previous_alias must differ")
        return self


class TrackingSettings(Section):
    """Deadlines of calls to an MLflow tracking server (MLFLOW_HTTP_REQUEST_* when not set)."""

    http_timeout_seconds: int = Field(gt=0, le=600)
    http_max_retries: int = Field(ge=0, le=10)


class MlSettings(Section):
    cycle_model_name: str
    demand_model_name: str
    model_name_pattern: str
    max_abs_value: float = Field(gt=0)
    experiment_name: str
    # Artifacts folder name next to a local (sqlite) tracking store.
    artifacts_subdir: str
    seed: int
    cycle: CycleModelSettings
    cycle_scoring: CycleScoringSettings
    demand: DemandModelSettings
    promotion: PromotionSettings
    tracking: TrackingSettings
    feature_tables: dict[str, SqlName]

    @model_validator(mode="after")
    def _model_names(self) -> MlSettings:
        try:
            pattern = re.compile(self.model_name_pattern)
        except re.error as exc:
            raise ValueError(f"model_name_pattern: not a regular expression: {exc}") from None
        for name in (self.cycle_model_name, self.demand_model_name):
            if not pattern.fullmatch(name):
                raise ValueError(f"model name {name!r} does not match model_name_pattern")
        return self
