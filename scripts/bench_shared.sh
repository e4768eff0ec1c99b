#!/usr/bin/env bash
# The benchmarks recorded in benchmarks/ (issue: ratio and speed), in this order:
#  1. the shipped corpus with every preset (benchmarks/shipped),
#  2. all of silesia/dickens with the default and max presets against xz -9e (benchmarks/presets;
#     ~5 and ~12 minutes each way here),
#  3. the whole shared corpora (Canterbury, dickens, xml) with the fast preset and every
#     conventional codec (benchmarks/shared),
#  4. all of silesia/xml with the default preset against xz -9e (benchmarks/xml-default).
# default's and max's rows on dickens were measured again after their stream_len changed, with
# the same commands and one preset each (benchmarks/dickens-default, benchmarks/max-dickens), and
# on xml the same way (benchmarks/max-xml); benchmarks/trials holds configurations tried and not
# kept. Last, default and max on all of Canterbury against xz -9e (benchmarks/canterbury-default,
# canterbury-max; ~15 and ~70 minutes), each with its per-file table against xz (vs-xz.md).
# Run nothing else meanwhile: a second busy process on 2 cores slows torch down many times.
set -euo pipefail
cd "$(dirname "$0")/.."
NNCOMP="${NNCOMP:-.venv/bin/nncomp}"
"$NNCOMP" bench --corpus shipped --preset fast --preset default --preset max --out benchmarks/shipped
"$NNCOMP" report benchmarks/shipped/results.json
"$NNCOMP" bench --corpus dickens --codec xz-9e --preset default --preset max --out benchmarks/presets
"$NNCOMP" report benchmarks/presets/results.json
"$NNCOMP" bench --corpus canterbury --corpus dickens --corpus xml --preset fast --out benchmarks/shared
"$NNCOMP" report benchmarks/shared/results.json
"$NNCOMP" bench --corpus xml --codec xz-9e --preset default --out benchmarks/xml-default
"$NNCOMP" report benchmarks/xml-default/results.json
for preset in default max; do
    "$NNCOMP" bench --corpus canterbury --codec xz-9e --preset "$preset" --out "benchmarks/canterbury-$preset"
    "$NNCOMP" report "benchmarks/canterbury-$preset/results.json"
    .venv/bin/python scripts/vs_xz.py "benchmarks/canterbury-$preset/results.json" "nncomp-$preset" \
        > "benchmarks/canterbury-$preset/vs-xz.md"
done
