"""The inference and read API (``fuelopt serve``): FastAPI over the cycle champion and the marts."""
