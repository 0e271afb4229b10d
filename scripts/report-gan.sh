#!/usr/bin/env bash
# The GAN report runs of the closing note (docs/gan.md): GAN, WGAN, WGAN-GP and SN-GAN on the ring of 8
# and the grid of 25 Gaussians, three seeds each, the same budget for all models on a toy: STEPS generator
# steps (default 6,000 on the ring, 20,000 on the grid), batch 256,
# G 2-128-128-2 and D 2-128-128-1 with ReLU, Adam 1e-3 beta (0.5, 0.9) for both networks with a cosine
# decay to 2% over the STEPS, generator EMA 0.99 for sampling; nCritic 1 (gan; sngan on the grid) or 5
# (sngan on the ring, wgan with clip 0.01, wgan-gp with lambda 1); evaluation every 1,000 steps (2,500 from
# 10,000 steps on; the last one is the table's). Then the image runs (Fashion-MNIST GAN with the feature distance,
# BiGAN 1-NN accuracy, CycleGAN cycle error) when their specs exist. Each run writes report.json (eval
# metrics at the end); the table is printed by scripts/report-gan-table.py.
# Usage: scripts/report-gan.sh [JAR] [OUT] [STEPS] [PARTS]
#   STEPS: empty or "default" for the per-toy defaults above.
#   PARTS: any of toys, images (default: both). Reruns skip finished runs (report.json "succeeded").
#   TOYS (env, default "ring8 grid25"), FAMILIES (env, default "wgan-gp sngan gan wgan"), SEEDS (env,
#   default "1 2 3") select a part of the toy runs, e.g. to run the two toys side by side. NICE (env, default
#   "nice"; empty for normal priority) prefixes the java command.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=${1:-service/target/genzoo.jar}
out=${2:-runs/report-gan}
steps_arg=${3:-default}
parts=${4:-toys images}
toys=${TOYS:-ring8 grid25}
families=${FAMILIES:-wgan-gp sngan gan wgan}
seeds=${SEEDS:-1 2 3}
mkdir -p "$out/specs"

steps_of() { # toy -> generator steps
  if [ "$steps_arg" != default ]; then echo "$steps_arg"; elif [ "$1" = grid25 ]; then echo 20000; else echo 6000; fi
}
model_of() { # family toy -> the model object's extra fields
  case "$1" in
    gan)       echo '"nCritic": 1' ;;
    sngan)     if [ "$2" = grid25 ]; then echo '"nCritic": 1'; else echo '"nCritic": 5'; fi ;;
    wgan)      echo '"nCritic": 5, "clip": 0.01' ;;
    wgan-gp)   echo '"nCritic": 5, "lambda": 1' ;;
  esac
}
optimizer_of() {
  echo "{\"type\": \"adam\", \"lr\": 1e-3, \"beta1\": 0.5, \"beta2\": 0.9, \"schedule\": {\"type\": \"cosine\", \"steps\": $steps, \"minFactor\": 0.02}}"
}

run() { # spec-file run-folder
  local spec=$1 dir=$2
  if [ ! -f "$dir/report.json" ] || ! grep -q '"succeeded"' "$dir/report.json"; then
    if [ -d "$dir/checkpoints" ]; then
      ${NICE-nice} java -jar "$jar" train "$spec" --output "$dir" --resume
    else
      rm -rf "$dir"
      ${NICE-nice} java -jar "$jar" train "$spec" --output "$dir"
    fi
  fi
}

if [[ " $parts " == *" toys "* ]]; then
  for toy in $toys; do
    steps=$(steps_of "$toy")
    every=$(( steps >= 10000 ? 2500 : (steps < 1000 ? steps : 1000) ))
    logevery=$(( steps >= 10000 ? 500 : 100 ))
    for fam in $families; do
      for seed in $seeds; do
        name="$fam-$toy-s$seed"
        spec="$out/specs/$name.json"
        cat > "$spec" <<JSON
{"name": "$name",
 "model": {"family": "$fam", "latent": 2, "generator": [128, 128], "discriminator": [128, 128], "activation": "relu",
           "ema": 0.99, $(model_of "$fam" "$toy")},
 "data": {"dataset": "toy:$toy"},
 "optimizer": $(optimizer_of),
 "batchSize": 256, "budget": {"steps": $steps}, "seed": $seed,
 "eval": {"every": $every, "split": "test"}, "checkpoint": {"every": $every}, "logEvery": $logevery}
JSON
        run "$spec" "$out/$name"
      done
    done
  done
fi

if [[ " $parts " == *" images "* ]]; then
  for spec in examples/gan-fashion.json examples/bigan-mnist.json examples/cyclegan-mnist-fashion.json examples/cyclegan-2d.json; do
    [ -f "$spec" ] || continue
    run "$spec" "$out/$(basename "$spec" .json)"
  done
fi
/usr/bin/python3 scripts/report-gan-table.py "$out"
