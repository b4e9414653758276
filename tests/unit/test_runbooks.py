"""The runbook pages the Airflow plugin serves, and the links that point at them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fuelopt.alerts.on_call import RUNBOOKS_PATH, runbook_link
from fuelopt.alerts.runbooks import RUNBOOKS_DIR, create_app
from fuelopt.config import PROJECT_ROOT, get_settings

DAG_IDS = sorted(p.stem for p in (PROJECT_ROOT / "dags").glob("*.py"))


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_dag_has_a_runbook_page_with_its_title(client, dag_id):
    response = client.get(f"/{dag_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    first = next(
        ln for ln in (RUNBOOKS_DIR / f"{dag_id}.md").read_text().splitlines() if ln.startswith("#")
    )
    title = first.lstrip("# ").replace("`", "")
    assert f"<title>{title}</title>" in response.text
    assert "<h1>" in response.text


def test_index_lists_every_runbook(client):
    page = client.get("/").text
    for dag_id in DAG_IDS:
        assert f"href='{dag_id}'" in page


@pytest.mark.parametrize("bad", ["nope", "..%2F..%2Fetc%2Fpasswd", "a b"])
def test_unknown_or_unsafe_names_are_404(client, bad):
    assert client.get(f"/{bad}").status_code == 404


def test_raw_html_in_a_runbook_is_escaped(tmp_path: Path):
    (tmp_path / "x.md").write_text("# X\n\n<script>alert(1)</script>\n")
    page = TestClient(create_app(tmp_path)).get("/x").text
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_links_are_full_urls_to_the_served_pages(monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080")
    assert runbook_link("extract_telemetry") == (
        f"http://airflow.example:8080{RUNBOOKS_PATH}/extract_telemetry"
    )


def test_a_configured_wiki_wins(monkeypatch):
    monkeypatch.setenv("FUELOPT__ALERTS__RUNBOOK_BASE_URL", "https://wiki.example/runbooks/")
    get_settings.cache_clear()
    try:
        assert runbook_link("train_models") == "https://wiki.example/runbooks/train_models"
    finally:
        monkeypatch.delenv("FUELOPT__ALERTS__RUNBOOK_BASE_URL")
        get_settings.cache_clear()
