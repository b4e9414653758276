"""Configuration of the optimize package (section `optimize` of include/config/fuelopt.yaml)."""

from fuelopt.settings_base import Section


class OptimizeSettings(Section):
    """Filled in by the optimize work; every key must also be in fuelopt.yaml."""
