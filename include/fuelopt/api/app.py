"""The FastAPI app: health, cycle fuel inference from the champion, and the marts read as
bi_reader (docs/contracts.md#11-api-and-dashboard)."""

import secrets
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model

from fuelopt.api.batching import CycleBatcher
from fuelopt.api.champion import ChampionCache, NoChampion
from fuelopt.config import get_settings
from fuelopt.warehouse import marts

Shift = Literal["day", "night"]
UNAUTHORIZED = {401: {"description": "missing or wrong bearer token"}}


class Health(BaseModel):
    status: Literal["ok", "down"]
    down: list[str]
    warehouse: bool
    mlflow: bool
    champions: dict[str, str | None]


class CycleFuel(BaseModel):
    model: str
    version: str
    fuel_l: list[float]


class Assignment(BaseModel):
    truck_id: str
    shovel_id: str
    dump_id: str
    cycles: int
    predicted_fuel_l: float


class Plan(BaseModel):
    plan_id: str
    shift_date: date
    shift: str
    status: str
    objective_fuel_l: float | None
    baseline_fuel_l: float | None
    saving_pct: float | None
    gap_pct: float | None
    fuel_source: str | None
    created_at: datetime
    assignments: list[Assignment]


class ForecastRow(BaseModel):
    model_name: str
    model_version: str | None
    issued_at: datetime
    horizon_days: int
    target_date: date
    pred: float
    lo80: float | None
    hi80: float | None
    lo95: float | None
    hi95: float | None
    actual_fuel_l: float | None


class ShiftSaving(BaseModel):
    shift_date: date
    shift: str
    plan_id: str
    status: str
    planned_fuel_l: float | None
    greedy_fuel_l: float | None
    saving_l: float | None
    saving_pct: float | None
    fuel_source: str | None


class Savings(BaseModel):
    shifts: list[ShiftSaving]
    levers: list[dict[str, Any]] | None = Field(
        description="rows of marts.fct_fuel_savings; null while that mart does not exist"
    )


def cycle_row_model() -> type[BaseModel]:
    """One cycle row: the cycle model's features (docs/contracts.md#1-source-tables, without
    fuel_l); numbers finite and within ml.max_abs_value; other columns are ignored."""
    settings = get_settings()
    limit = settings.ml.max_abs_value
    cycle = settings.ml.cycle
    number = Annotated[float, Field(ge=-limit, le=limit, allow_inf_nan=False)]
    text = Annotated[str, Field(min_length=1, max_length=settings.api.max_category_chars)]
    fields: dict[str, Any] = {name: (number, ...) for name in cycle.numeric_features}
    fields |= {name: (text, ...) for name in cycle.categorical_features}
    return create_model("CycleRow", __config__=ConfigDict(extra="ignore"), **fields)


def create_app(token: str | None, reader_uri: str) -> FastAPI:
    """The API; ``token`` None serves without authentication (``--insecure-local``)."""
    settings = get_settings()
    cfg = settings.api
    cache = ChampionCache(settings.ml.cycle_model_name, cfg.champion_check_seconds)
    batcher = CycleBatcher(cache, cfg.max_batch_rows)
    bearer = HTTPBearer(auto_error=False)
    row_model = cycle_row_model()

    async def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    app = FastAPI(
        title="FuelOptiMine API",
        version="1",
        description="Cycle fuel inference from the champion model and the fleet plan, "
        "forecast and savings marts (read as bi_reader).",
    )
    guarded = [Depends(authorised)]

    @app.get("/health", response_model=Health, responses={503: {"model": Health}})
    def health() -> Any:
        """Warehouse and MLflow reachable, and the champion versions."""
        from fastapi.responses import JSONResponse

        from fuelopt.ml import registry

        down: list[str] = []
        try:
            with marts.read_only(reader_uri) as conn:
                marts.ping(conn)
            warehouse = True
        except Exception as exc:
            warehouse = False
            down.append(f"warehouse: {type(exc).__name__}")
        champions: dict[str, str | None] = {}
        try:
            registry.client().search_registered_models(max_results=1)
            alias = settings.ml.promotion.champion_alias
            for name in (settings.ml.cycle_model_name, settings.ml.demand_model_name):
                champions[name] = registry.alias_version(name, alias)
            mlflow_up = True
        except Exception as exc:
            mlflow_up = False
            down.append(f"mlflow: {type(exc).__name__}")
        if mlflow_up and champions.get(settings.ml.cycle_model_name) is None:
            down.append(f"champion: none for {settings.ml.cycle_model_name}")
        body = Health(
            status="down" if down else "ok",
            down=down,
            warehouse=warehouse,
            mlflow=mlflow_up,
            champions=champions,
        )
        return JSONResponse(body.model_dump(), status_code=503 if down else 200)

    @app.post(
        "/v1/cycle-fuel",
        response_model=CycleFuel,
        dependencies=guarded,
        responses={
            **UNAUTHORIZED,
            400: {"description": "the body is not JSON"},
            503: {"description": "no champion cycle fuel model"},
        },
    )
    async def cycle_fuel(
        rows: Annotated[list[row_model], Body(min_length=1, max_length=cfg.max_rows)],  # type: ignore[valid-type]
    ) -> CycleFuel:
        """Litres per cycle row from the champion cycle fuel model."""
        try:
            version, litres = await batcher.predict([r.model_dump() for r in rows])
        except NoChampion as exc:
            raise HTTPException(503, str(exc)) from None
        return CycleFuel(model=cache.name, version=version, fuel_l=litres)

    @app.get(
        "/v1/plans/{shift_date}/{shift}",
        response_model=Plan,
        dependencies=guarded,
        responses={**UNAUTHORIZED, 404: {"description": "no plan for that shift"}},
    )
    def shift_plan(shift_date: date, shift: Shift) -> Any:
        """The fleet plan of one shift (marts.fct_fleet_plan)."""
        with marts.read_only(reader_uri) as conn:
            found = marts.plan(conn, shift_date, shift)
        if found is None:
            raise HTTPException(404, f"no fleet plan for {shift_date.isoformat()} {shift}")
        return found

    @app.get(
        "/v1/forecast",
        response_model=list[ForecastRow],
        dependencies=guarded,
        responses={**UNAUTHORIZED, 404: {"description": "no forecast issued yet"}},
    )
    def forecast() -> Any:
        """The latest issued fuel demand forecast with its intervals (marts.fct_fuel_forecast)."""
        with marts.read_only(reader_uri) as conn:
            rows = marts.forecast(conn)
        if not rows:
            raise HTTPException(404, "no fuel forecast issued (marts.fct_fuel_forecast is empty)")
        return rows

    @app.get("/v1/savings", response_model=Savings, dependencies=guarded, responses=UNAUTHORIZED)
    def savings() -> Any:
        """Planned against greedy litres of the latest shifts, and the levers when known."""
        with marts.read_only(reader_uri) as conn:
            shifts = marts.plan_savings(conn, cfg.savings_shifts)
            levers = marts.savings_levers(conn, cfg.savings_shifts * 100)
        return {"shifts": shifts, "levers": levers}

    return app
