"""FuelOptiMine's Airflow plugin: the runbook pages on the api-server, a "Runbook" link on every
task instance, and a runbook macro."""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import BaseOperatorLink

from fuelopt.alerts.on_call import RUNBOOKS_PATH, runbook_link
from fuelopt.alerts.runbooks import create_app


class RunbookLink(BaseOperatorLink):
    """Links every task instance to its DAG's on-call runbook."""

    name = "Runbook"

    def get_link(self, operator, *, ti_key) -> str:
        return runbook_link(ti_key.dag_id)


class FuelOptPlugin(AirflowPlugin):
    name = "fuelopt"
    global_operator_extra_links: ClassVar[list] = [RunbookLink()]
    macros: ClassVar[list] = [runbook_link]
    fastapi_apps: ClassVar[list] = [
        {"app": create_app(), "url_prefix": RUNBOOKS_PATH, "name": "FuelOptiMine runbooks"}
    ]
