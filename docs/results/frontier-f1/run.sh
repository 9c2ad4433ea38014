#!/bin/sh
# The committed F1 batch-size frontier (lbgap frontier --preset paper): 8 batch sizes × 3 seeds,
# two jobs at a time. Re-running continues an unfinished run with --resume.
# Usage (from the package root): sh docs/results/frontier-f1/run.sh
set -e
out=docs/results/frontier-f1
if [ -f $out/results.json ]; then resume=--resume; else resume=; fi
node bin/lbgap.js frontier --preset paper --jobs 2 --out $out $resume
