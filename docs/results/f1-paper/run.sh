#!/bin/sh
# The committed F1 paper-protocol reproduction: 5 seeds as 5 shards, two at a time (one per
# core), then merged. Re-running continues every unfinished shard with --resume.
# Usage (from the package root): sh docs/results/f1-paper/run.sh [parallel shards, default 2]
set -e
dir=docs/results/f1-paper
n=5
seq 0 $((n - 1)) | xargs -P "${1:-2}" -I{} sh -c "
  out=$dir/shards/{}
  if [ -f \$out/results.json ]; then resume=--resume; else resume=; fi
  node bin/lbgap.js reproduce --spec $dir/spec.json --shard {}/$n --out \$out \$resume --quiet > $dir/shards/{}.log 2>&1 || { echo shard {} failed: see $dir/shards/{}.log; exit 1; }"
node bin/lbgap.js merge $dir/shards/*/results.json --out $dir/results.json
