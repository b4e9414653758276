# Local default environment. Sourced by setup.sh, run_pipeline.sh and run_tests.sh; every value
# can be set beforehand to point at other systems (see README.md, "Pointing at real systems").
# Local defaults only: 127.0.0.1, trust authentication, no passwords.
FUELOPT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export FUELOPT_ROOT
export PATH="$FUELOPT_ROOT/.venv/bin:$PATH"

: "${PGHOST:=127.0.0.1}" "${PGPORT:=5432}"
export PGHOST PGPORT
export FUELOPT_ADMIN_URL="${FUELOPT_ADMIN_URL:-postgresql://postgres@$PGHOST:$PGPORT/postgres}"
export AIRFLOW_CONN_FUELOPT_WAREHOUSE="${AIRFLOW_CONN_FUELOPT_WAREHOUSE:-postgresql://fuelopt_loader@$PGHOST:$PGPORT/fuelopt}"
# The marts as the read-only bi_reader role: `fuelopt serve` and `fuelopt dashboard`.
export AIRFLOW_CONN_FUELOPT_BI_READER="${AIRFLOW_CONN_FUELOPT_BI_READER:-postgresql://bi_reader@$PGHOST:$PGPORT/fuelopt}"
# Stand-in for SQL Server on the local default: a PostgreSQL database with the same tables.
export AIRFLOW_CONN_FUELOPT_SQLSERVER="${AIRFLOW_CONN_FUELOPT_SQLSERVER:-postgresql://fuelopt_loader@$PGHOST:$PGPORT/fuelopt_ops}"
# Stand-in for PostgREST on the local default: `fuelopt pipeline` serves it, or run
# python -m fuelopt.sources.postgrest_standin --db-url "$FUELOPT_TELEMETRY_DB_URL" --port 3300
# A bearer token goes in the connection's password: http://:TOKEN@host:port
export AIRFLOW_CONN_FUELOPT_POSTGREST="${AIRFLOW_CONN_FUELOPT_POSTGREST:-http://127.0.0.1:3300}"
# Telemetry database behind the PostgREST stand-in.
export FUELOPT_TELEMETRY_DB_URL="${FUELOPT_TELEMETRY_DB_URL:-postgresql://fuelopt_loader@$PGHOST:$PGPORT/fuelopt_telemetry}"

export AIRFLOW_HOME="${AIRFLOW_HOME:-$FUELOPT_ROOT/.local/airflow}"
# Airflow's metadata database: PostgreSQL, so the scheduler, api-server and LocalExecutor workers
# can write at the same time (`fuelopt stack init-db` creates it; setup.sh runs that).
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-postgresql+psycopg://airflow@$PGHOST:$PGPORT/fuelopt_airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="${AIRFLOW__CORE__DAGS_FOLDER:-$FUELOPT_ROOT/dags}"
export AIRFLOW__CORE__PLUGINS_FOLDER="${AIRFLOW__CORE__PLUGINS_FOLDER:-$FUELOPT_ROOT/plugins}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE="${AIRFLOW__CORE__UNIT_TEST_MODE:-False}"
export AIRFLOW__COSMOS__CACHE_DIR="${AIRFLOW__COSMOS__CACHE_DIR:-$FUELOPT_ROOT/.local/cosmos}"
export MLFLOW_TRACKING_URI="${MLFLOW_TRACKING_URI:-sqlite:///$FUELOPT_ROOT/.local/mlflow/mlflow.db}"
export MLFLOW_DISABLE_TELEMETRY=true
export DBT_PROFILES_DIR="${DBT_PROFILES_DIR:-$FUELOPT_ROOT/dbt_project}"
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
export DO_NOT_TRACK=1
