"""Configuration of the synth package (section `synth` of include/config/fuelopt.yaml)."""

from fuelopt.settings_base import Section


class SynthSettings(Section):
    """Filled in by the synth work; every key must also be in fuelopt.yaml."""
