"""Cycle fuel model, fuel demand forecast, walk-forward validation and the MLflow registry."""
