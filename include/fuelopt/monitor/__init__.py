"""Drift, accuracy against actuals, freshness and alert decisions."""
