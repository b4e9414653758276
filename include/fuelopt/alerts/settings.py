"""Configuration of DAG defaults and on-call alerting."""

from pydantic import Field, PositiveInt

from fuelopt.settings_base import Section


class AlertSettings(Section):
    owner: str
    retries: int = Field(ge=2)
    retry_delay_seconds: PositiveInt
    max_retry_delay_seconds: PositiveInt
    email_to: list[str]
    slack_channel: str
    task_timeout_minutes: PositiveInt
    runbook_base_url: str | None
    approved_tags: list[str]
