"""Configuration of the warehouse: layer schemas, roles and load behaviour."""

from pydantic import Field, PositiveInt

from fuelopt.settings_base import Section, SqlName


class SchemaNames(Section):
    raw: SqlName
    cleansed: SqlName
    features: SqlName
    marts: SqlName
    ops: SqlName


class RoleNames(Section):
    loader: SqlName
    bi_reader: SqlName


class LoadSettings(Section):
    """Raw loads: how long one waits for another load of the same table before it fails."""

    lock_timeout_seconds: float = Field(gt=0)


class ReaderSettings(Section):
    """Deadlines of the read-only ``bi_reader`` sessions of the API and the dashboard."""

    connect_timeout_seconds: PositiveInt
    statement_timeout_ms: PositiveInt


class WarehouseSettings(Section):
    schemas: SchemaNames
    roles: RoleNames
    load: LoadSettings
    reader: ReaderSettings
