"""Shift and weekly reports (PDF and Excel) from the marts, for people outside Airflow and BI."""
