#!/bin/bash
# First start: initdb with POSTGRES_USER as the superuser and the password from POSTGRES_PASSWORD_FILE
# (scram-sha-256 over TCP, trust on the local socket, as the official image), create POSTGRES_DB.
set -euo pipefail
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw="${POSTGRES_PASSWORD:-}"
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then pw="$(head -1 "$POSTGRES_PASSWORD_FILE")"; fi
  [ -n "$pw" ] || { echo "postgres-entrypoint: set POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD" >&2; exit 1; }
  initdb -D "$PGDATA" -U "$user" --pwfile=<(printf '%s\n' "$pw") --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "postgres-entrypoint: initialized $PGDATA (user $user, database $db)"
fi
if [ "${1:-}" = postgres ]; then shift; exec postgres -D "$PGDATA" "$@"; fi
exec "$@"
