#!/usr/bin/env bash
# The CUDA checks and figures (as in benchmarks/2026-11-26-h200-cuda), on a machine with an
# NVIDIA GPU, written to a new run folder benchmarks/DATE-MACHINE-cuda (MACHINE, e.g. h100):
#   bash scripts/bench_cuda.sh PATH/TO/silesia/dickens [--bench]
#  1. the tests marked cuda (tests/test_cuda.py: round trips, run-to-run determinism, CUDA graphs
#     against the eager step, checkpoints, the CLI; tests/test_optim.py and tests/test_model.py:
#     the optimizer and the reused gradient on the GPU) (pytest.log);
#  2. the max preset on all of dickens on the GPU: speed, phase split, model bits/byte
#     (profile_max.log);
#  3. with --bench, `nncomp bench` of max on the GPU, both directions, round trip verified
#     (results.json; ~9 minutes on an H200, ~16 for all three steps).
set -euo pipefail
cd "$(dirname "$0")/.."
DICKENS=${1:?path to silesia/dickens}
PY=${PYTHON:-python3}
OUT="benchmarks/$(date +%F)-${MACHINE:-gpu}-cuda"
mkdir -p "$OUT"
nvidia-smi -L
"$PY" -m pytest -q --durations=6 -m cuda tests/ | tee "$OUT/pytest.log"
"$PY" scripts/profile_engine.py --device cuda --preset max --bytes 20000000 "$DICKENS" 2>&1 \
    | tee "$OUT/profile_max.log"
if [ "${2:-}" = "--bench" ]; then
    "$PY" -m nncomp bench --corpus "$DICKENS" --codec none --preset max --device cuda --out "$OUT"
    "$PY" -m nncomp report "$OUT/results.json"
fi
