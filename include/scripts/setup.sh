#!/usr/bin/env bash
# Idempotent local set-up: Debian packages, the venv, PostgreSQL on 127.0.0.1:5432, the warehouse
# and source databases, the Airflow home and the dbt manifest. Safe to run any number of times.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$FUELOPT_ROOT"
say() { printf '[setup] %s\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. Debian packages: ODBC runtime for pyodbc (dbt-sqlserver), PostgreSQL client tools.
ldconfig -p 2>/dev/null | grep -q 'libodbc.so.2' || apt_install unixodbc
command -v pg_isready >/dev/null || apt_install postgresql-client
# Debian's chromium: the browser the UI tests drive through Playwright (never a browser download).
[ -x /usr/bin/chromium ] || apt_install chromium
# poppler-utils: pdftoppm, with which the report tests turn PDF pages into PNG.
command -v pdftoppm >/dev/null || apt_install poppler-utils

# 2. Python 3.11 virtual environment with the pinned requirements and the fuelopt package.
PY="${FUELOPT_PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PY" -c 'import sys; assert sys.version_info[:2] in ((3, 11), (3, 12)), sys.version' \
  || { echo "[setup] Python 3.11 is required (set FUELOPT_PYTHON)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv 2>/dev/null || { apt_install python3-venv; rm -rf .venv; "$PY" -m venv .venv; }
fi
stamp=.venv/.fuelopt-installed
want="$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages (a few minutes the first time)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi

# 3. PostgreSQL on $PGHOST:$PGPORT: use the one that answers, or start a local cluster.
if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    apt_install postgresql
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  fi
  PGDATA_DIR="$FUELOPT_ROOT/.local/pgdata"
  mkdir -p "$PGDATA_DIR"
  chown postgres "$PGDATA_DIR" 2>/dev/null || true
  as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    say "initialising a PostgreSQL cluster in $PGDATA_DIR"
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  say "starting PostgreSQL on $PGHOST:$PGPORT"
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" \
    -o "-h $PGHOST -p $PGPORT -k $PGDATA_DIR" -w start >/dev/null
fi

# 4. Warehouse (roles, schemas, grants, ops tables) and the local source systems.
mkdir -p .local/airflow .local/mlflow .local/data .local/artifacts
fuelopt warehouse init
fuelopt synth init-sources >/dev/null

# 5. Airflow metadata database.
fuelopt stack init-db >/dev/null
airflow db migrate >/dev/null 2>&1 || airflow db migrate

# 6. dbt: packages and the manifest the transform DAG renders from (no dbt at DAG parse time).
if [ -f dbt_project/dbt_project.yml ]; then
  (cd dbt_project && dbt deps --quiet && dbt parse --quiet --target-path target)
fi
say "ready: AIRFLOW_HOME=$AIRFLOW_HOME, warehouse $AIRFLOW_CONN_FUELOPT_WAREHOUSE"
