#!/bin/sh
# The compose service `bi-grants`: once the first migrate has created the job's schemas, grants the BI role
# read access to them (bi-grants.sql), as the sync role that owns them. Connection: PGHOST, PGPORT,
# PGDATABASE and PGUSER from the environment, the password from the secret file.
set -e
sql_dir="${EVENTLOG_SYNC_POSTGRES_DIR:-/etc/eventlog-sync/postgres}"
secrets="${EVENTLOG_SYNC_SECRETS_DIR:-/run/secrets}"
PGPASSWORD="$(cat "$secrets/eventlog_writer_password")"
export PGPASSWORD
# The migrations create the three schemas and every table in them in one transaction, so once the schemas
# are there everything is; what later migrations create is covered by the default privileges.
schemas="select count(*) from pg_namespace where nspname in ('altcraft', 'yandex_direct', 'sync')"
tries=0
until [ "$(psql --no-psqlrc -Atqc "$schemas" 2>/dev/null)" = 3 ]; do
  tries=$((tries + 1))
  if [ "$tries" -ge 300 ]; then
    echo "bi-grants.sh: the job's schemas did not appear in 10 minutes: has eventlog-sync migrated?" >&2
    exit 1
  fi
  sleep 2
done
exec psql -v ON_ERROR_STOP=1 --single-transaction --no-psqlrc -f "$sql_dir/bi-grants.sql"
