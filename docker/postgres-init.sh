#!/bin/bash
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): the warehouse gets its own
# role and database beside Airflow's, so Airflow's user never reaches the warehouse nor the reverse.
# CREATEROLE: dbt's on-run-end macro creates the analysts' read-only role (crvs_analyst).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v password="$CRVS_DB_PASSWORD" <<'SQL'
create role crvs login createrole password :'password';
create database crvs_warehouse owner crvs;
SQL
