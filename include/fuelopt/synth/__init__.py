"""Deterministic synthetic open-pit mine with a physics-based fuel model."""
