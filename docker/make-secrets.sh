#!/usr/bin/env bash
# Makes the secrets docker/compose.yaml reads, once (an existing file is kept):
#   docker/token.txt                   the GenZoo API's bearer token (clients: --token or GENZOO_TOKEN)
#   docker/postgres_password.txt       the PostgreSQL password of user genzoo
#   docker/pgpass                      the same password for the GenZoo containers (PGPASSFILE format)
#   docker/grafana_admin_password.txt  Grafana's admin password
# Compose mounts secret files as they are on the host, so they must be readable by the containers'
# users (GenZoo uid 10001, Prometheus 65534, PostgreSQL 999, Grafana 472): mode 0644. Keep docker/
# itself private (chmod 700 docker) on a shared host. The files are in .gitignore.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
rand() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
make() { [ -s "$1" ] || { printf '%s\n' "$2" > "$1"; echo "made docker/$1"; }; chmod 0644 "$1"; }
make token.txt "$(rand)"
make postgres_password.txt "$(rand)"
make pgpass "postgres:5432:genzoo:genzoo:$(head -1 postgres_password.txt)"
make grafana_admin_password.txt "$(rand)"
