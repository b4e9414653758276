"""FuelOptiMine: the Python package every DAG calls."""

import os

# OpenMP threads (XGBoost) that spin while waiting burn the cores other work needs: on this
# 2-core machine under load, fitting the cycle model on 0.2 M rows with 2 threads took 74 s of
# wall time (23 s of CPU) spinning, 5.8 s (2.8 s of CPU) sleeping. libgomp reads this once, when
# it is loaded, so it is set here, before anything imports xgboost. An explicit value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
