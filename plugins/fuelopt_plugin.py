"""FuelOptiMine's Airflow plugin: a "Runbook" button on every task and a runbook macro."""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

from fuelopt.alerts.on_call import runbook_link


class RunbookLink(BaseOperatorLink):
    """Links every task instance to its DAG's on-call runbook."""

    name = "Runbook"

    def get_link(self, operator, *, ti_key) -> str:
        return runbook_link(ti_key.dag_id)


class FuelOptPlugin(AirflowPlugin):
    name = "fuelopt"
    global_operator_extra_links: ClassVar[list] = [RunbookLink()]
    macros: ClassVar[list] = [runbook_link]
