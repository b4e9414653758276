"""Configuration of the monitor package (section `monitor` of include/config/fuelopt.yaml)."""

from fuelopt.settings_base import Section


class MonitorSettings(Section):
    """Filled in by the monitor work; every key must also be in fuelopt.yaml."""
