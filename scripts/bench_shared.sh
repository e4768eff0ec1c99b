#!/usr/bin/env bash
# The larger benchmark recorded in benchmarks/: the shipped corpus and the first 1 MB of
# silesia/dickens with both presets, and the whole shared corpora (Canterbury, dickens, xml)
# with the fast preset (the default preset runs at ~2-5 kB/s here: hours on 15 MB).
# Run nothing else meanwhile: a second busy process on 2 cores slows torch down many times.
set -euo pipefail
cd "$(dirname "$0")/.."
NNCOMP="${NNCOMP:-.venv/bin/nncomp}"
"$NNCOMP" bench --corpus shipped --out benchmarks/shipped
"$NNCOMP" report benchmarks/shipped/results.json
"$NNCOMP" bench --corpus dickens:1M --out benchmarks/dickens-1M
"$NNCOMP" report benchmarks/dickens-1M/results.json
"$NNCOMP" bench --corpus canterbury --corpus dickens --corpus xml --preset fast --out benchmarks/shared
"$NNCOMP" report benchmarks/shared/results.json
