#!/usr/bin/env bash
# End-to-end test of the Docker deployment (docker/) with a real container engine: podman, as root.
#   scripts/container-test.sh            (after `mvn package`: it needs service/target/genzoo.jar)
# .ci/run calls it after the Maven tests. On a fresh Debian 12 machine it installs what it needs
# (podman, runc, netavark, aardvark-dns, iptables, podman-compose, debootstrap, curl, python3).
#
# 1. a local debian:12-slim base image (debootstrap) if there is none (no registry needed);
# 2. builds the CPU image, the NVIDIA image, and PostgreSQL and Prometheus images from Debian packages
#    (their official images cannot be pulled without a registry);
# 3. the jlink module list covers what jdeps finds in the jar; the NVIDIA image runs Java as the
#    non-root user, registers libnvidia-opencl.so.1 and says clearly that there is no GPU here;
# 4. runs the CPU image: start-to-ready time, the image's healthcheck, a job submitted through the API
#    from outside runs to SUCCEEDED with its artifacts on the volume; the dashboard's metrics are in
#    the container's /metrics; SIGTERM (podman stop) mid-job checkpoints and requeues it, and after a
#    restart the job resumes from that checkpoint and succeeds;
# 5. docker/compose.yaml with podman-compose: PostgreSQL, the API node (API only), two worker
#    containers, Prometheus; two jobs run on the two workers; Prometheus's HTTP API has a genzoo metric;
#    the fleet's API node and workers exit 0 on SIGTERM; the embedded profile's service starts.
# Prints each phase's time. Exit 0 when everything passed.
#
# Environment: GENZOO_CT_KEEP=1 keeps the test's containers and volumes for a look afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JAR="$ROOT/service/target/genzoo.jar"
WORK="$(mktemp -d /tmp/genzoo-container-test.XXXXXX)"
P="gzct$$"                          # prefix of every container, volume and compose project of this run
T0=$(date +%s.%N)
TP=$T0
PHASES=()
FAILED=0

say() { echo "container-test: $*" >&2; }
die() { say "FAIL: $*"; FAILED=1; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
phase() {  # phase NAME: ends the previous phase
  local t; t=$(elapsed "$TP")
  [ -n "${PHASE:-}" ] && PHASES+=("$(printf '%-62s %7s s' "$PHASE" "$t")")
  PHASE="$1"; TP=$(date +%s.%N)
  [ -n "$1" ] && say "== $1"
  return 0
}

cleanup() {
  local rc=$?
  trap - TERM INT
  phase ""
  if [ "${GENZOO_CT_KEEP:-0}" != 1 ]; then
    rmc "$P-cpu" "$P-client" $(podman ps -aq --filter "label=io.podman.compose.project=$P")
    podman volume rm -f "$P-data" "$P-cache" $(podman volume ls -q | grep "^${P}_") >/dev/null 2>&1 || true
    podman network rm -f "${P}_default" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  else
    say "kept: containers and volumes named $P*, files in $WORK"
  fi
  echo "container-test: phases (wall time; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)):" >&2
  for l in "${PHASES[@]}"; do echo "  $l" >&2; done
  echo "  $(printf '%-62s %7s s' total "$(elapsed "$T0")")" >&2
  if [ $rc = 0 ] && [ $FAILED = 0 ]; then say "PASSED"; else say "FAILED (exit $rc)"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
# Rootful podman without systemd cannot schedule the HEALTHCHECK timer and says so on every start and
# stop; the test runs the healthcheck itself (podman healthcheck run), so that line is noise here.
podman() { command podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }
# Removes containers and the anonymous volumes of their images' VOLUME folders (podman 4.3's
# rm -v leaves those behind).
rmc() {
  local c v
  for c in "$@"; do
    podman container exists "$c" || continue
    local vols; vols=$(podman inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' "$c" 2>/dev/null || true)
    podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
    for v in $vols; do
      [ "$(podman volume inspect -f '{{.Anonymous}}' "$v" 2>/dev/null)" = true ] && podman volume rm -f "$v" >/dev/null 2>&1
    done
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
phase "set-up (packages, podman configuration)"
[ -f "$JAR" ] || die "no $JAR: build it first (mvn -B -DskipTests package)"
need=()
# iptables: netavark sets up the compose network's rules with it ("netavark: No such file or directory"
# when it is missing; Debian's netavark does not depend on it).
for c in podman:podman runc:runc netavark:/usr/lib/podman/netavark aardvark-dns:/usr/lib/podman/aardvark-dns \
    iptables:iptables podman-compose:podman-compose debootstrap:debootstrap curl:curl python3:python3; do
  pkg=${c%%:*}; what=${c#*:}
  # type -P: a program on PATH (`command -v podman` finds the podman() wrapper above, not the program)
  if [[ $what == /* ]]; then [ -e "$what" ] || need+=("$pkg"); else type -P "$what" >/dev/null 2>&1 || need+=("$pkg"); fi
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "missing ${need[*]}; install them (apt-get install ${need[*]})"
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
[ "$(id -u)" = 0 ] || die "run as root: the test uses rootful podman"
# runc, not crun (crun refuses hybrid cgroup hierarchies: "cgroups in hybrid mode not supported");
# cgroupfs, since a CI machine may have no systemd; the container limits on open files and processes
# are the current ones, since raising them needs CAP_SYS_RESOURCE, which sandboxed CI machines lack;
# netavark for the compose network's DNS (service names).
NOFILE=$(ulimit -Hn); [ "$NOFILE" = unlimited ] && NOFILE=1048576
NPROC=$(ulimit -Hu); { [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; } && NPROC=32768
cat > "$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
if podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null | grep -q cni; then
  die "podman still uses CNI networking (networks made before netavark was installed?): podman system reset, or remove /etc/cni/net.d/*.conflist"
fi
podman --version >&2

# ---------------------------------------------------------------------------------------------
phase "base image debian:12-slim (debootstrap when missing)"
if ! podman image exists localhost/debian:12-slim; then
  say "no local debian:12-slim: making one with debootstrap (no registry needed)"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  # What debian:12-slim leaves out: documentation, man pages, locales, apt's caches.
  rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/* \
         "$WORK"/rootfs/usr/share/doc/* "$WORK"/rootfs/usr/share/man/* "$WORK"/rootfs/usr/share/locale/*
  tar -C "$WORK/rootfs" -c . | podman import - localhost/debian:12-slim >/dev/null 2>&1
  rm -rf "$WORK/rootfs"
fi
# FROM debian:12-slim resolves to the local image under either name, without a pull.
podman tag localhost/debian:12-slim docker.io/library/debian:12-slim

# ---------------------------------------------------------------------------------------------
# --network host: a build step's apt-get resolves the mirror with the host's resolver (on some
# machines a build container's own network has no route to it). --format docker keeps HEALTHCHECK.
build() {  # build DOCKERFILE TAG
  local log="$WORK/build-$(basename "$1").log"
  if ! podman build --network host --format docker --pull=never -f "$1" -t "$2" . >"$log" 2>&1; then
    tail -30 "$log" >&2; die "podman build -f $1 failed"
  fi
}
phase "build CPU image (docker/Dockerfile)"
build docker/Dockerfile localhost/genzoo:test-cpu
phase "build NVIDIA image (docker/Dockerfile.nvidia)"
build docker/Dockerfile.nvidia localhost/genzoo:test-nvidia
phase "build PostgreSQL and Prometheus images (Debian)"
build docker/local/postgres.Dockerfile localhost/genzoo-test-postgres:15
build docker/local/prometheus.Dockerfile localhost/genzoo-test-prometheus:2.42

# ---------------------------------------------------------------------------------------------
phase "jlink modules vs jdeps; NVIDIA image checks"
MODULES=$(sed -n 's/^ARG JAVA_MODULES=//p' docker/Dockerfile)
[ "$MODULES" = "$(sed -n 's/^ARG JAVA_MODULES=//p' docker/Dockerfile.nvidia)" ] || die "JAVA_MODULES differ between the Dockerfiles"
NEEDED=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 "$JAR" 2>/dev/null | tail -1)
for m in ${NEEDED//,/ }; do
  [[ ",$MODULES," == *",$m,"* ]] || die "jdeps says the jar needs module $m, which JAVA_MODULES in docker/Dockerfile lacks"
done
say "jdeps: $NEEDED; all in the image's runtime"
out=$(podman run --rm --network none --entrypoint /bin/bash localhost/genzoo:test-nvidia -c \
  'id -u; cat /etc/OpenCL/vendors/nvidia.icd; echo "$NVIDIA_VISIBLE_DEVICES $NVIDIA_DRIVER_CAPABILITIES"; java -version 2>&1 | head -1; java --list-modules | wc -l')
say "NVIDIA image: $(echo "$out" | tr '\n' ' ')"
[ "$(echo "$out" | sed -n 1p)" = 10001 ] || die "NVIDIA image does not run as uid 10001"
[ "$(echo "$out" | sed -n 2p)" = libnvidia-opencl.so.1 ] || die "nvidia.icd does not name libnvidia-opencl.so.1"
[ "$(echo "$out" | sed -n 3p)" = "all compute,utility" ] || die "NVIDIA_* variables"
set +e
nv=$(podman run --rm --network none localhost/genzoo:test-nvidia devices 2>&1); nvrc=$?
set -e
say "NVIDIA image without a GPU: exit $nvrc: $(echo "$nv" | tail -1)"
[ $nvrc = 3 ] && echo "$nv" | grep -qi "no OpenCL" || die "NVIDIA image without a GPU should exit 3 (no OpenCL platform), got $nvrc: $nv"

# ---------------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" > "$WORK/token.txt"; chmod 0644 "$WORK/token.txt"
api() {  # api BASE METHOD PATH [BODY]
  if [ -n "${4:-}" ]; then
    curl -sS --max-time 30 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X "$2" --data-binary "$4" "$1$3"
  else
    curl -sS --max-time 30 -H "Authorization: Bearer $TOKEN" -X "$2" "$1$3"
  fi
}
jq_() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
wait_ready() {  # wait_ready BASE SECONDS: until /health/ready is 200
  local end=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" "$1/health/ready")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}
wait_state() {  # wait_state BASE ID SECONDS STATE...: until the job is in one of the states; prints it
  local base=$1 id=$2 end=$(( $(date +%s) + $3 )); shift 3
  local s=""
  while [ "$(date +%s)" -lt "$end" ]; do
    s=$(api "$base" GET "/api/jobs/$id" | jq_ 'd["state"]' 2>/dev/null || true)
    for want in "$@"; do [ "$s" = "$want" ] && { echo "$s"; return 0; }; done
    case "$s" in SUCCEEDED|FAILED|CANCELLED) echo "$s"; return 1 ;; esac
    sleep 1
  done
  echo "${s:-unknown}"; return 1
}
# A VAE on Fashion-MNIST (the image has it): quickstart's model on the data set in the image.
spec() {  # spec NAME STEPS CHECKPOINT_EVERY
  printf '{"name": "%s", "model": {"family": "vae", "latent": 10, "hidden": [200]}, "data": {"dataset": "fashion-mnist", "limit": 4096},
 "optimizer": {"type": "adam", "lr": 0.001}, "batchSize": 64, "budget": {"steps": %d}, "seed": 7, "logEvery": 10,
 "eval": {"every": 0, "limit": 64, "metrics": {"iwaeK": 2}}, "checkpoint": {"every": %d}, "device": "cpu"}' "$1" "$2" "$3"
}

phase "CPU container: start to ready"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
podman volume create "$P-data" >/dev/null
podman volume create "$P-cache" >/dev/null
# --network host: on some machines (gVisor sandboxes, as where this was written) a bridge network's
# published ports and addresses cannot be reached from the host, while containers on one bridge reach
# each other. So this container shares the host's network, on a free port (the image's command with
# --port changed, and GENZOO_HEALTH_PORT for its healthcheck); the compose phase below uses the
# compose network as it is, with the client in a container on it.
RUN_ARGS=(--name "$P-cpu" --network host -e "GENZOO_HEALTH_PORT=$PORT" -v "$P-data:/data" -v "$P-cache:/cache"
  -v "$WORK/token.txt:/run/secrets/genzoo_token:ro" localhost/genzoo:test-cpu
  serve --host 0.0.0.0 --port "$PORT" --data-dir /data --token-file /run/secrets/genzoo_token)
t_start=$(date +%s.%N)
podman run -d "${RUN_ARGS[@]}" >/dev/null
wait_ready "$BASE" 180 || { podman logs "$P-cpu" >&2; die "the CPU container was not ready within 180 s"; }
READY_S=$(elapsed "$t_start")
say "start to ready (podman run to /health/ready 200): $READY_S s"
podman healthcheck run "$P-cpu" >/dev/null || die "the image's HEALTHCHECK (docker/healthcheck.sh) failed on a live server"
say "HEALTHCHECK: healthy"
[ "$(podman exec "$P-cpu" id -u)" = 10001 ] || die "the server does not run as uid 10001"
pid1=$(podman exec "$P-cpu" cat /proc/1/cmdline | tr '\0' ' ')
[[ $pid1 == /usr/bin/tini* ]] || die "PID 1 is not tini: $pid1"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/jobs")" = 401 ] || die "the API answers without the token"

phase "CPU container: a job through the API, artifacts on the volume"
J1=$(api "$BASE" POST /api/jobs "$(spec container-short 200 100)" | jq_ 'd["id"]')
st=$(wait_state "$BASE" "$J1" 300 SUCCEEDED) || { podman logs --tail 40 "$P-cpu" >&2; die "job $J1 ended $st"; }
MP=$(podman volume inspect -f '{{.Mountpoint}}' "$P-data")
for f in report.json metrics.csv loss.png train.log spec.json checkpoints/step-000000000200/checkpoint.json; do
  [ -s "$MP/jobs/$J1/$f" ] || die "job $J1: $f is not on the volume ($MP/jobs/$J1)"
done
grep -q '"status" *: *"succeeded"' "$MP/jobs/$J1/report.json" || die "report.json of $J1 does not say succeeded"
n=$(api "$BASE" GET "/api/jobs/$J1/artifacts" | jq_ 'len(d["artifacts"])')
say "job $J1 SUCCEEDED; $n artifacts listed by the API, report, metrics, plot and step-200 checkpoint on volume $P-data"
api "$BASE" GET /metrics > "$WORK/metrics.txt"
python3 - "$ROOT/docker/grafana/dashboards/genzoo.json" "$WORK/metrics.txt" <<'EOF' || die "the Grafana dashboard queries metrics the container does not export"
import json, re, sys
dash = json.load(open(sys.argv[1]))
wanted = {m for p in dash["panels"] for t in p["targets"] for m in re.findall(r"\bgenzoo_[a-z0-9_]+", t["expr"])}
exported = {re.split(r"[{ ]", l, 1)[0] for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")}
missing = sorted(wanted - exported)
print("container-test: dashboard metrics %d, all in the container's /metrics" % len(wanted) if not missing
      else "container-test: missing from /metrics: %s" % missing, file=sys.stderr)
sys.exit(1 if missing else 0)
EOF

phase "CPU container: SIGTERM mid-job, restart, resume"
J2=$(api "$BASE" POST /api/jobs "$(spec container-stop 1500 100)" | jq_ 'd["id"]')
end=$(( $(date +%s) + 300 ))
step=0
while [ "$step" -lt 130 ]; do
  [ "$(date +%s)" -lt "$end" ] || die "job $J2 did not reach step 130 in 300 s"
  sleep 0.5
  step=$(api "$BASE" GET "/api/jobs/$J2" | jq_ 'd.get("step") or 0')
done
say "job $J2 at step $step: podman stop (SIGTERM, 120 s grace)"
t_stop=$(date +%s.%N)
podman stop -t 120 "$P-cpu" >/dev/null
STOP_S=$(elapsed "$t_stop")
code=$(podman inspect -f '{{.State.ExitCode}}' "$P-cpu")
say "stopped in $STOP_S s, exit code $code"
[ "$code" = 0 ] || { podman logs --tail 30 "$P-cpu" >&2; die "genzoo serve exited $code on SIGTERM (expected 0)"; }
grep -q "interrupted at step" "$MP/jobs/$J2/train.log" || { tail "$MP/jobs/$J2/train.log" >&2; die "train.log of $J2 has no 'interrupted at step'"; }
INT=$(grep -o "interrupted at step [0-9]*" "$MP/jobs/$J2/train.log" | tail -1 | grep -o '[0-9]*$')
ls "$MP/jobs/$J2/checkpoints" | grep -q "step-0*$INT\$" || die "no checkpoint of step $INT after the stop"
t_start=$(date +%s.%N)
podman start "$P-cpu" >/dev/null
wait_ready "$BASE" 180 || { podman logs --tail 40 "$P-cpu" >&2; die "not ready after the restart"; }
RESTART_READY_S=$(elapsed "$t_start")
st=$(wait_state "$BASE" "$J2" 600 SUCCEEDED) || { podman logs --tail 40 "$P-cpu" >&2; die "job $J2 ended $st after the restart"; }
attempt=$(api "$BASE" GET "/api/jobs/$J2" | jq_ 'd["attempt"]')
grep -q "resumed from checkpoints/step-0*$INT at step $INT of" "$MP/jobs/$J2/train.log" || { tail "$MP/jobs/$J2/train.log" >&2; die "$J2 did not resume from step $INT"; }
say "job $J2 checkpointed at step $INT on SIGTERM, resumed from step $INT after the restart (ready in $RESTART_READY_S s), attempt $attempt, SUCCEEDED"
[ "$attempt" = 2 ] || die "job $J2 attempt $attempt, expected 2"
rmc "$P-cpu"

# ---------------------------------------------------------------------------------------------
phase "compose: PostgreSQL, API node, 2 workers, Prometheus"
COMPOSE_DIR="$WORK/compose"
mkdir -p "$COMPOSE_DIR"
cp -r docker/compose.yaml docker/prometheus docker/grafana docker/make-secrets.sh "$COMPOSE_DIR/"
"$COMPOSE_DIR/make-secrets.sh" >/dev/null
cp "$WORK/token.txt" "$COMPOSE_DIR/token.txt"
export GENZOO_IMAGE=localhost/genzoo:test-cpu GENZOO_DEVICE=cpu GENZOO_SERVE_ARGS="--workers 0" GENZOO_WORKERS=2 \
  GENZOO_POSTGRES_IMAGE=localhost/genzoo-test-postgres:15 GENZOO_PROMETHEUS_IMAGE=localhost/genzoo-test-prometheus:2.42 \
  GENZOO_PORT=$(free_port) PROMETHEUS_PORT=$(free_port)
compose() { podman-compose -p "$P" -f "$COMPOSE_DIR/compose.yaml" "$@"; }
# The kernels the single container compiled (GenZoo's and PoCL's caches), as a long-running
# deployment's cache volume has them: PoCL compiling every kernel again in two workers at once takes
# minutes on a loaded 2-core machine.
podman volume create "${P}_genzoo-cache" >/dev/null
cp -a "$(podman volume inspect -f '{{.Mountpoint}}' "$P-cache")/." "$(podman volume inspect -f '{{.Mountpoint}}' "${P}_genzoo-cache")/"
# podman-compose 1.0.3 ignores profiles and depends_on conditions: name the services, PostgreSQL first.
compose up -d postgres >"$WORK/compose-up.log" 2>&1 || { tail -20 "$WORK/compose-up.log" >&2; die "compose up postgres"; }
end=$(( $(date +%s) + 120 ))
until podman exec "${P}_postgres_1" pg_isready -U genzoo -d genzoo >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$end" ] || { podman logs "${P}_postgres_1" >&2; die "PostgreSQL not ready in 120 s"; }
  sleep 1
done
compose up -d genzoo worker prometheus >>"$WORK/compose-up.log" 2>&1 || { tail -20 "$WORK/compose-up.log" >&2; die "compose up"; }
# The client: a container on the compose network (see --network host above), speaking HTTP/1.0
# with bash's /dev/tcp; it prints the body and fails on a status other than 2xx.
cat > "$WORK/http.sh" <<'EOS'
#!/bin/bash
# http.sh METHOD HOST PORT PATH [JSON_BODY]; bearer token from /run/secrets/genzoo_token
set -euo pipefail
exec 3<>"/dev/tcp/$2/$3"
{ printf '%s %s HTTP/1.0\r\nHost: %s\r\nAuthorization: Bearer %s\r\n' "$1" "$4" "$2" "$(head -1 /run/secrets/genzoo_token)"
  if [ -n "${5:-}" ]; then printf 'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "${#5}" "$5"; else printf '\r\n'; fi
} >&3
IFS= read -r status <&3
body=$(sed '1,/^\r$/d' <&3)
printf '%s\n' "$body"
case "$status" in "HTTP/1."?" 2"*) ;; *) echo "http.sh: $1 $4: $status" >&2; exit 1 ;; esac
EOS
NET=$(podman inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "${P}_genzoo_1")
podman run -d --name "$P-client" --network "$NET" -v "$WORK/http.sh:/http.sh:ro" -v "$WORK/token.txt:/run/secrets/genzoo_token:ro" \
  --entrypoint /bin/bash localhost/genzoo:test-cpu -c 'exec sleep infinity' >/dev/null
capi() { podman exec "$P-client" bash /http.sh "$1" genzoo 8080 "$2" "${3:-}"; }
end=$(( $(date +%s) + 180 ))
until capi GET /health/ready >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$end" ] || { podman logs "${P}_genzoo_1" >&2; die "the API node was not ready in 180 s"; }
  sleep 1
done
end=$(( $(date +%s) + 180 ))
until [ "$(capi GET /api/workers | jq_ 'len({w["node"] for w in d["workers"]})' 2>/dev/null || echo 0)" -ge 2 ]; do
  [ "$(date +%s)" -lt "$end" ] || { podman logs --tail 20 "${P}_worker_1" >&2; die "two worker nodes did not register in 180 s"; }
  sleep 1
done
say "API node ready; worker nodes: $(capi GET /api/workers | jq_ 'sorted({w["node"] for w in d["workers"]})')"

phase "compose: two jobs on two workers; Prometheus query"
A=$(capi POST /api/jobs "$(spec fleet-a 150 50)" | jq_ 'd["id"]')
B=$(capi POST /api/jobs "$(spec fleet-b 150 50)" | jq_ 'd["id"]')
for j in "$A" "$B"; do
  end=$(( $(date +%s) + 400 ))
  until [ "$(capi GET "/api/jobs/$j" | jq_ 'd["state"]')" = SUCCEEDED ]; do
    st=$(capi GET "/api/jobs/$j" | jq_ 'd["state"]')
    case "$st" in FAILED|CANCELLED) capi GET "/api/jobs/$j" >&2; die "fleet job $j ended $st" ;; esac
    [ "$(date +%s)" -lt "$end" ] || { podman logs --tail 30 "${P}_worker_1" >&2; die "fleet job $j not SUCCEEDED in 400 s ($st)"; }
    sleep 2
  done
done
VOL=$(podman volume inspect -f '{{.Mountpoint}}' "${P}_artifacts")
for j in "$A" "$B"; do
  [ -s "$VOL/jobs/$j/report.json" ] && [ -s "$VOL/jobs/$j/loss.png" ] || die "fleet job $j: no report.json or loss.png in the artifacts volume"
done
w1=$(podman logs "${P}_worker_1" 2>&1 | grep -oE "j-[0-9]+ attempt 1 SUCCEEDED" | cut -d' ' -f1 | sort -u | tr '\n' ' ')
w2=$(podman logs "${P}_worker_2" 2>&1 | grep -oE "j-[0-9]+ attempt 1 SUCCEEDED" | cut -d' ' -f1 | sort -u | tr '\n' ' ')
say "jobs $A and $B SUCCEEDED; worker container 1 ran: ${w1:-none}; worker container 2 ran: ${w2:-none}"
[ -n "$w1" ] && [ -n "$w2" ] || die "the two jobs did not run on two worker containers"
promq() { podman exec "$P-client" bash /http.sh GET prometheus 9090 "/api/v1/query?query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")"; }
q='genzoo_jobs{state="succeeded"}'
end=$(( $(date +%s) + 120 ))
until [ "$(promq "$q" 2>/dev/null | jq_ 'max([float(r["value"][1]) for r in d["data"]["result"]] or [0])' 2>/dev/null || echo 0)" = 2.0 ]; do
  [ "$(date +%s)" -lt "$end" ] || { podman exec "$P-client" bash /http.sh GET prometheus 9090 /api/v1/targets >&2 || true; die "Prometheus has no $q = 2 after 120 s"; }
  sleep 2
done
say "Prometheus HTTP API: $q = 2; up: $(promq 'up{job="genzoo"}' | jq_ '[(r["metric"]["instance"], r["value"][1]) for r in d["data"]["result"]]')"

phase "compose: SIGTERM to the fleet; the embedded profile"
# The fleet's API node and workers stop on SIGTERM with exit 0; then the single-box service
# (SQLite in its own volume, no PostgreSQL) starts on the same port and answers with its own empty queue.
podman stop -t 60 "${P}_genzoo_1" "${P}_worker_1" "${P}_worker_2" >/dev/null
for c in genzoo_1 worker_1 worker_2; do
  code=$(podman inspect -f '{{.State.ExitCode}}' "${P}_$c")
  [ "$code" = 0 ] || { podman logs --tail 20 "${P}_$c" >&2; die "$c exited $code on SIGTERM (expected 0)"; }
done
(unset GENZOO_SERVE_ARGS; compose up -d genzoo-embedded) >>"$WORK/compose-up.log" 2>&1 || { tail -20 "$WORK/compose-up.log" >&2; die "compose up genzoo-embedded"; }
end=$(( $(date +%s) + 180 ))
until podman exec "$P-client" bash /http.sh GET genzoo-embedded 8080 /health/ready >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$end" ] || { podman logs "${P}_genzoo-embedded_1" >&2; die "genzoo-embedded was not ready in 180 s"; }
  sleep 1
done
n=$(podman exec "$P-client" bash /http.sh GET genzoo-embedded 8080 /api/jobs | jq_ 'len(d["jobs"]) if isinstance(d, dict) else len(d)')
[ "$n" = 0 ] || die "genzoo-embedded lists $n jobs; its SQLite queue should be new and empty"
say "fleet containers stopped with exit 0 on SIGTERM; genzoo-embedded ready with its own empty queue"
rmc "$P-client"

phase "image sizes"
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'genzoo|debian' | sort >&2
say "start to ready: $READY_S s (first start), $RESTART_READY_S s (restart); SIGTERM to exit: $STOP_S s"
