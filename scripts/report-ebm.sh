#!/usr/bin/env bash
# The energy-based-model report runs of issue #12 (docs/ebm.md has the tables these produce):
#   1. AIS vs exact log Z: an RBM 784-20 trained by PCD on MNIST digits; its final evaluation reports both
#      (ais_log_z with the ±3 s.d. band, exact_log_z by enumerating 2^20 hidden states on the device).
#   2. RBM 784-500 on MNIST digits by CD-1, PCD-1, PT (10 temperatures x 10 chains: the same 100 chains as PCD)
#      and CD-10, the same step budget each (examples/rbm-*-mnist.json), AIS test log-likelihood with 14,500
#      temperatures and 100 chains at the end.
#   3. DBN 784-500-500 (greedy PCD) with the AIS variational bound; DBM 784-500-500 (doubled-RBM pretraining,
#      mean field + persistent chains) with its AIS variational lower bound; Gaussian-Bernoulli RBM on
#      Fashion-MNIST (exact and AIS log Z).
#   4. The training-throughput bench beside PyTorch and scikit-learn.
# Every run writes report.json (final evaluation) and pictures; a table of all runs is printed at the end.
# Usage: scripts/report-ebm.sh [JAR] [OUT] [RUNS...]   (defaults: service/target/genzoo.jar, runs/report-ebm, all)
set -euo pipefail
cd "$(dirname "$0")/.."
jar=${1:-service/target/genzoo.jar}
out=${2:-runs/report-ebm}
shift $(( $# > 2 ? 2 : $# ))
runs=${*:-rbm-20-mnist rbm-cd1-mnist rbm-pcd-mnist rbm-pt-mnist rbm-cd10-mnist dbn-mnist dbm-20-mnist dbm-mnist grbm-fashion bench}
export POCL_AFFINITY=${POCL_AFFINITY:-1}
mkdir -p "$out"
for name in $runs; do
  if [ "$name" = bench ]; then
    java -jar "$jar" bench train --model rbm --peer --steps 200 --warmup 20 | tee "$out/bench.txt"
    continue
  fi
  if [ ! -f "$out/$name/report.json" ] || ! grep -q '"succeeded"' "$out/$name/report.json"; then
    start=$(date +%s)
    java -jar "$jar" train "examples/$name.json" --output "$out/$name" --resume
    echo "$name: $(( $(date +%s) - start )) s wall" | tee -a "$out/wall.txt"
  fi
  if [ "$name" != grbm-fashion ] && [ ! -f "$out/$name/eval.json" ]; then
    # pictures: sample chains, filters and conditional fill-in (AIS is already in report.json)
    java -jar "$jar" eval "$out/$name" --ais-temperatures 0 --limit 1000 >/dev/null
  fi
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
keys = ["exact_log_z", "ais_log_z", "ais_log_z_lo", "ais_log_z_hi", "test_ll", "test_ll_lo", "test_ll_hi", "exact_test_ll",
        "pseudo_ll", "recon_error", "pt_swap_rate", "dbn_bound", "dbn_bound_lo", "dbn_bound_hi", "exact_test_ll_raw",
        "dbm_ais_log_z", "dbm_bound", "dbm_bound_lo", "dbm_bound_hi", "dbm_bound_exact_z"]
for name in sorted(os.listdir(out)):
    p = os.path.join(out, name, "report.json")
    if not os.path.isfile(p):
        continue
    r = json.load(open(p))
    ev = r.get("finalEval") or r.get("eval") or {}
    if isinstance(ev, list):
        ev = ev[-1] if ev else {}
    m = ev.get("metrics", ev)
    cells = ["%s %.2f" % (k, m[k]) for k in keys if isinstance(m.get(k), (int, float))]
    print("%-16s %s" % (name, ", ".join(cells)))
PY
