#!/usr/bin/env bash
# The slow fuzz profile, too long for CI, recorded in a new run folder
# benchmarks/DATE-MACHINE-fuzz/README.md (MACHINE: a short name for this CPU, e.g. zen4):
#  1. byte-level: over 10,000 hypothesis cases across the properties of tests/test_fuzz.py
#     (bit flips, truncation, appended garbage, header edits, concatenations);
#  2. structural: tests/hostile.py with thousands of well-formed hostile frames (the rows of
#     issue #35, every config field at and past its bounds, random fields, lengths, stream
#     counts and dictionaries), each decoded under a 4 GiB address-space cap, counted by
#     category with the CPU-time and memory maxima.
#   MACHINE=zen4 scripts/fuzz_slow.sh [N_PER_PROPERTY] [N_STRUCTURAL]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2500}"  # per property: 4 full properties + concatenation (n/5) > 10,000 cases
ns="${2:-2000}"
rec="benchmarks/$(date +%F)-${MACHINE:?set MACHINE to a short name for this CPU}-fuzz"
mkdir -p "$rec"
start=$(date -u +%FT%TZ)
t0=$(date +%s)
out=$(NNCOMP_FUZZ_EXAMPLES="$n" .venv/bin/python -m pytest -q tests/test_fuzz.py -p no:cacheprovider 2>&1 | tail -1)
t1=$(date +%s)
.venv/bin/python tests/hostile.py "$ns" 1 > "$rec/structural.jsonl"
t2=$(date +%s)
{
  echo "# Slow fuzz profile"
  echo
  echo "- date: $start; machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs; commit $(git rev-parse --short HEAD)"
  echo "- byte-level: NNCOMP_FUZZ_EXAMPLES=$n pytest tests/test_fuzz.py: $n each for bit flips, truncation, appended garbage and header edits, $((n / 5)) concatenations: $((4 * n + n / 5)) in all, plus fixed cases"
  echo "- outcome: $out ($((t1 - t0)) s)"
  echo "- structural: python tests/hostile.py $ns 1 ($((t2 - t1)) s; every case in structural.jsonl)"
  echo
  .venv/bin/python - "$rec/structural.jsonl" <<'PY'
import collections, json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def category(name):
    if name.startswith("random"):
        return "random " + name.split("-", 1)[1].split("=")[0].rstrip("0123456789")
    return "field bounds" if "=" in name else "issue rows"
by = collections.defaultdict(list)
for r in rows:
    by[category(r["case"])].append(r)
print("| category | cases | decoded right | LimitError | CorruptDataError | other documented | undocumented | max CPU s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for cat in sorted(by):
    rs = by[cat]
    count = collections.Counter(r["outcome"] for r in rs)
    undoc = sum(v for k, v in count.items() if k.startswith(("UNDOCUMENTED", "WRONG")))
    other = len(rs) - count["ok"] - count["LimitError"] - count["CorruptDataError"] - undoc
    print(f"| {cat} | {len(rs)} | {count['ok']} | {count['LimitError']} | {count['CorruptDataError']} "
          f"| {other} | {undoc} | {max(r['cpu_s'] for r in rs):.2f} |")
print()
print(f"{len(rows)} cases; peak memory of the decoding process {max(r['maxrss_mib'] for r in rows)} MiB "
      "(under a 4 GiB address-space cap); slowest case "
      f"{max(rows, key=lambda r: r['cpu_s'])['case']} at {max(r['cpu_s'] for r in rows):.2f} CPU-s.")
PY
} > "$rec/README.md"
cat "$rec/README.md"
