"""Configuration of the API (section `api` of include/config/fuelopt.yaml)."""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt

from fuelopt.settings_base import Section, SqlName


class ApiSettings(Section):
    """``fuelopt serve``: where it listens, its bearer token's variable and its limits."""

    host: str
    port: int = Field(ge=1, le=65535)
    token_env: SqlName  # environment variable holding the bearer token
    max_rows: PositiveInt  # rows per POST /v1/cycle-fuel request
    max_batch_rows: PositiveInt  # rows of concurrent requests predicted together
    max_category_chars: PositiveInt  # longest truck model / road condition accepted
    champion_check_seconds: PositiveFloat  # how often the champion's version is looked up
    savings_shifts: PositiveInt  # shifts listed by GET /v1/savings (latest first)
    mlflow_timeout_seconds: PositiveInt  # per request to an MLflow tracking server
