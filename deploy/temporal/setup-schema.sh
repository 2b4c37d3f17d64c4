#!/bin/sh
# One-shot (temporalio/admin-tools): create the `temporal` and `temporal_visibility` databases on
# PostgreSQL and bring both schemas up to the version this admin-tools image ships. Safe to re-run:
# `create` accepts an existing database, `setup-schema -v 0.0` skips a schema that is already
# newer, and `update-schema` applies only the missing versions (this is also how a Temporal
# upgrade migrates: bump both image tags together and `docker compose up`).
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT:-5432}"
until nc -z "$POSTGRES_SEEDS" "${DB_PORT:-5432}"; do sleep 1; done

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
    -u "$POSTGRES_USER" --db "$1" "$2" ${3:+"$3"} ${4:+"$4"}
}

sql temporal create
sql temporal setup-schema -v 0.0
sql temporal update-schema -d "$SCHEMA/temporal/versioned"

sql temporal_visibility create
sql temporal_visibility setup-schema -v 0.0
sql temporal_visibility update-schema -d "$SCHEMA/visibility/versioned"

echo "Temporal schemas are up to date"
