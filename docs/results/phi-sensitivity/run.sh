#!/bin/sh
# The committed φ sensitivity study (issue 16) on the F1 paper-protocol seed-0 checkpoints
# (SB and LB of `lbgap reproduce --spec docs/results/f1-paper/spec.json`, seed 0), copied to
# /work/ckpt/phi-inputs/ (not committed: 17 MB each; the spec names them). Two jobs at a time
# (one per core); re-running continues an interrupted study with --resume.
# Usage (from the package root): sh docs/results/phi-sensitivity/run.sh
set -e
dir=docs/results/phi-sensitivity
if [ -f $dir/results.json ]; then resume=--resume; else resume=; fi
node bin/lbgap.js phi-study --spec $dir/spec.json --out $dir --jobs 2 $resume --quiet
