"""The Assets that connect producer and consumer DAGs: one definition each, imported by both."""

from airflow.sdk import Asset


def _table(layer: str, table: str) -> Asset:
    return Asset(name=f"{layer}.{table}", uri=f"x-fuelopt://warehouse/{layer}/{table}", group=layer)


RAW_TELEMETRY = _table("raw", "truck_telemetry")
RAW_OPERATIONS = tuple(
    _table("raw", t) for t in ("equipment", "haul_cycles", "fuel_dispatch", "shift_plan")
)
MARTS = _table("marts", "all")
CHAMPION_MODEL = Asset(
    name="model.cycle_fuel.champion", uri="x-fuelopt://mlflow/cycle_fuel/champion"
)
FLEET_PLAN = _table("marts", "fct_fleet_plan")
RETRAIN_REQUEST = Asset(name="request.retrain", uri="x-fuelopt://requests/retrain")
