#!/usr/bin/env bash
# Telemetry database init (docker-entrypoint-initdb.d, after include/sql/postgrest/*.sql): give
# PostgREST's authenticator role its password from the compose environment.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -v pw="$POSTGREST_AUTHENTICATOR_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "ALTER ROLE telemetry_authenticator PASSWORD :'pw'"
