#!/usr/bin/env bash
# The whole recorded benchmark: every preset against every conventional codec on the shipped
# corpus and on all of the shared corpora (Canterbury, silesia dickens and xml), each round trip
# verified, written to a new folder benchmarks/DATE-MACHINE-shared (MACHINE: a short name for
# this CPU, e.g. zen4 or epyc-avx2; add the run to benchmarks/README.md). Hours on 2 cores: max
# alone takes ~70 minutes on Canterbury and ~30 on dickens each way. Run nothing else meanwhile:
# a second busy process on 2 cores slows torch down many times.
set -euo pipefail
cd "$(dirname "$0")/.."
NNCOMP="${NNCOMP:-.venv/bin/nncomp}"
OUT="benchmarks/$(date +%F)-${MACHINE:?set MACHINE to a short name for this CPU}-shared"
"$NNCOMP" bench --corpus shipped --preset fast --preset default --preset max --out "$OUT/shipped"
"$NNCOMP" report "$OUT/shipped/results.json"
"$NNCOMP" bench --corpus canterbury --corpus dickens --corpus xml \
    --preset fast --preset default --preset max --out "$OUT/shared"
"$NNCOMP" report "$OUT/shared/results.json"
for preset in fast default max; do
    .venv/bin/python scripts/vs_xz.py "$OUT/shared/results.json" "nncomp-$preset" > "$OUT/vs-xz-$preset.md"
done
