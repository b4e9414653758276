"""Configuration of the warehouse: layer schemas, roles and load behaviour."""

from fuelopt.settings_base import Section


class SchemaNames(Section):
    raw: str
    cleansed: str
    features: str
    marts: str
    ops: str


class RoleNames(Section):
    loader: str
    bi_reader: str


class WarehouseSettings(Section):
    schemas: SchemaNames
    roles: RoleNames
