"""Configuration of the warehouse: layer schemas, roles and load behaviour."""

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


class WarehouseSettings(Section):
    schemas: SchemaNames
    roles: RoleNames
