#!/bin/bash
# Container liveness probe without curl: GET /health/live over bash's /dev/tcp, healthy on a 200.
# /health/live needs no token; HTTP/1.0 without a Host header passes the server's Host check.
set -u
port="${GENZOO_HEALTH_PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /health/live HTTP/1.0\r\n\r\n' >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "health/live answered: $status" >&2; exit 1 ;;
esac
