#!/usr/bin/env bash
# The slow fuzz profile: over 10,000 hypothesis cases across the properties of
# tests/test_fuzz.py (too long for CI). Records the outcome in a new run folder,
# benchmarks/DATE-MACHINE-fuzz/README.md (MACHINE: a short name for this CPU, e.g. zen4).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2500}"
rec="benchmarks/$(date +%F)-${MACHINE:?set MACHINE to a short name for this CPU}-fuzz"
mkdir -p "$rec"  # per property: 4 full properties + concatenation (n/5) > 10,000 cases
start=$(date -u +%FT%TZ)
t0=$(date +%s)
out=$(NNCOMP_FUZZ_EXAMPLES="$n" .venv/bin/python -m pytest -q tests/test_fuzz.py -p no:cacheprovider 2>&1 | tail -1)
t1=$(date +%s)
{
  echo "# Slow fuzz profile"
  echo
  echo "- date: $start; machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs"
  echo "- command: NNCOMP_FUZZ_EXAMPLES=$n pytest tests/test_fuzz.py"
  echo "- cases: $n each for bit flips, truncation, appended garbage and header edits, $((n / 5)) concatenations: $((4 * n + n / 5)) in all, plus fixed cases"
  echo "- outcome: $out ($((t1 - t0)) s)"
} > "$rec/README.md"
cat "$rec/README.md"
