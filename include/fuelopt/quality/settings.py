"""Configuration of the quality package (section `quality` of include/config/fuelopt.yaml)."""

from fuelopt.settings_base import Section


class QualitySettings(Section):
    """Filled in by the quality work; every key must also be in fuelopt.yaml."""
