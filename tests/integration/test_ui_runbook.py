"""On-call's path in the real Airflow UI, driven in Debian's chromium: a task fails on a bad
param under the scheduler (once, no retries), its Runbook link opens the DAG's runbook page."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fuelopt.stack import PASSWORD_FILE
from tests.support.stack import ROOT, metadata_rows, wait_for

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
DAG_ID, TASK_ID, RUN_ID = "extract_telemetry", "load_truck_telemetry", "on_call_bad_since"


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        list(args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout


@pytest.fixture
def ui_stack(stack_env):
    """The local stack (``fuelopt stack up``) on this test's own ports and databases."""
    _cli(stack_env, "fuelopt", "stack", "up")
    try:
        yield stack_env
    finally:
        _cli(stack_env, "fuelopt", "stack", "down")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_failed_task_links_to_its_runbook(ui_stack, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    env = ui_stack
    wait_for(
        f"{DAG_ID} parsed",
        lambda: metadata_rows(env, "SELECT 1 FROM dag WHERE dag_id = %s", (DAG_ID,)),
    )
    _cli(env, "airflow", "dags", "unpause", DAG_ID)
    conf = json.dumps({"since": "yesterday"})
    _cli(env, "airflow", "dags", "trigger", DAG_ID, "--run-id", RUN_ID, "--conf", conf)
    wait_for(
        "the bad run failed",
        lambda: metadata_rows(
            env, "SELECT 1 FROM dag_run WHERE run_id = %s AND state = 'failed'", (RUN_ID,)
        ),
    )
    ((state, tries),) = metadata_rows(
        env,
        "SELECT state, try_number FROM task_instance WHERE run_id = %s AND task_id = %s",
        (RUN_ID, TASK_ID),
    )
    assert (state, tries) == ("failed", 1)  # no retry can fix a bad param

    base = f"http://127.0.0.1:{env['FUELOPT__STACK__API_PORT']}"
    password = json.loads((Path(env["AIRFLOW_HOME"]) / PASSWORD_FILE).read_text())["admin"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        try:
            page.goto(f"{base}/dags/{DAG_ID}/runs/{RUN_ID}/tasks/{TASK_ID}")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="Details", exact=True).click()
            link = page.get_by_role("link", name="Runbook")
            expect(link).to_be_visible(timeout=60_000)
            assert link.get_attribute("href") == f"{base}/fuelopt/runbooks/{DAG_ID}"
            link.click()  # same origin as the UI: it opens in place
            page.wait_for_url(f"{base}/fuelopt/runbooks/{DAG_ID}")
            expect(page.get_by_role("heading", level=1)).to_contain_text(DAG_ID)
            expect(page.locator("body")).to_contain_text("since")
        except Exception:
            page.screenshot(path=str(tmp_path / "ui.png"), full_page=True)
            raise
        finally:
            browser.close()
