"""MILP fleet assignment (PuLP), greedy dispatch baseline, scenario and plan I/O."""
