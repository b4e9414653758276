"""Configuration of the warehouse: layer schemas, roles and load behaviour."""

from pydantic import Field

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


class WarehouseSettings(Section):
    schemas: SchemaNames
    roles: RoleNames
    load: LoadSettings
