#!/bin/sh
# Creates the warehouse's roles (../roles.sql) when the postgres container initialises an empty data
# directory: the image runs /docker-entrypoint-initdb.d/* once, as the superuser, against $POSTGRES_DB.
# The passwords are read by psql itself from the secret files (never the environment or a command line).
set -e
sql_dir="${EVENTLOG_SYNC_POSTGRES_DIR:-/etc/eventlog-sync/postgres}"
secrets="${EVENTLOG_SYNC_SECRETS_DIR:-/run/secrets}"
for name in eventlog_writer_password bi_reader_password; do
  if [ ! -s "$secrets/$name" ]; then
    echo "10-roles.sh: $secrets/$name is missing or empty (README, Deployment)" >&2
    exit 1
  fi
done
{
  printf '\\set writer_password `cat %s/eventlog_writer_password`\n' "$secrets"
  printf '\\set bi_password `cat %s/bi_reader_password`\n' "$secrets"
  cat "$sql_dir/roles.sql"
} | psql -v ON_ERROR_STOP=1 --single-transaction --no-psqlrc \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set dbname="$POSTGRES_DB"
