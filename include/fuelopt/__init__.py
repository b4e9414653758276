"""FuelOptiMine: the Python package every DAG calls."""

__version__ = "0.1.0"
