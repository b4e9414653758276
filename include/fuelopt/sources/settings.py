"""Configuration of the sources package (section `sources` of include/config/fuelopt.yaml)."""

from fuelopt.settings_base import Section


class SourceSettings(Section):
    """Filled in by the sources work; every key must also be in fuelopt.yaml."""
