#!/usr/bin/env bash
# The benchmarks recorded in benchmarks/ (issue: ratio and speed), in this order:
#  1. the shipped corpus with every preset (benchmarks/shipped),
#  2. all of silesia/dickens with the default and max presets against xz -9e (benchmarks/presets;
#     ~5 and ~12 minutes each way here),
#  3. the whole shared corpora (Canterbury, dickens, xml) with the fast preset and every
#     conventional codec (benchmarks/shared),
#  4. all of silesia/xml with the default preset against xz -9e (benchmarks/xml-default).
# default's rows on dickens and the shipped corpus and max's on dickens were measured again after
# their stream_len changed, with the same commands and one preset each (benchmarks/dickens-default,
# benchmarks/shipped-default, benchmarks/max-dickens; max on the shipped corpus keeps B=1), and max
# on xml the same way (benchmarks/max-xml);
# benchmarks/trials holds configurations tried and not kept.
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
