#!/usr/bin/env bash
# The VAE-family report runs of the closing note: VAE vs IWAE(K=5) and VampPrior vs the standard prior on
# MNIST digits and Fashion-MNIST (784-200-200-50 tanh, batch 100, Adam 1e-3, the same step budget per dataset),
# and the ELBO-surgery runs for latent sizes 2, 10, 20. Each run trains, evaluates the test NLL with k = 5000
# at the end (in report.json), then `genzoo eval` adds ELBO surgery, active units and pictures (eval.json).
# Usage: scripts/report-vae.sh [JAR] [OUT]   (defaults: service/target/genzoo.jar, runs/report)
set -euo pipefail
cd "$(dirname "$0")/.."
jar=${1:-service/target/genzoo.jar}
out=${2:-runs/report}
export POCL_AFFINITY=${POCL_AFFINITY:-1}
mkdir -p "$out"
for spec in examples/report/*.json; do
  name=$(basename "$spec" .json)
  if [ ! -f "$out/$name/report.json" ] || ! grep -q '"succeeded"' "$out/$name/report.json"; then
    java -jar "$jar" train "$spec" --output "$out/$name" --resume
  fi
done
for spec in examples/report/*.json; do
  name=$(basename "$spec" .json)
  if [ ! -f "$out/$name/eval.json" ] && java -jar "$jar" eval --help >/dev/null 2>&1; then
    java -jar "$jar" eval "$out/$name" --k 0 --surgery-limit 8000   # the NLL (k = 5000) is already in report.json
  fi
done
