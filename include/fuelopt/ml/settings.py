"""Configuration of the ml package (section `ml` of include/config/fuelopt.yaml)."""

from fuelopt.settings_base import Section


class MlSettings(Section):
    """Filled in by the ml work; every key must also be in fuelopt.yaml."""
