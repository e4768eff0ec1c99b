#!/usr/bin/env bash
# Peak memory does not grow with the input: /usr/bin/time -v of compress and decompress on
#  1. a generated 1 GB file of random bytes (it takes the stored path at disk speed: the model
#     would run for hours on 1 GB here) through a file and through a pipe, and
#  2. the model path (preset fast) on two sizes of English text, blocks of 512 KiB: the larger
#     input must not need more memory than the smaller.
# Writes a Markdown record.   scripts/bench_large.sh [LOG] [TEXT]
set -euo pipefail
cd "$(dirname "$0")/.."
log="${1:-/dev/stdout}"  # a new benchmarks/DATE-MACHINE-memory-vs-size/README.md to record it
text="${2:-../shared/corpora/silesia/dickens}"
NNCOMP="${NNCOMP:-$PWD/.venv/bin/nncomp}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nncomp-large.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# "/usr/bin/time -v" fields: peak RSS (kB) and wall time.
measure() {  # label, then the command (run through sh -c so pipes work)
  local label="$1"; shift
  /usr/bin/time -v -o "$work/time" sh -c "$*"
  local rss wall
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
  echo "| $label | $(( rss / 1024 )) MiB | $wall |" >> "$log"
}

{
  echo "# Memory against input size ($(date -u +%F))"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs," \
       "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; nncomp $("$NNCOMP" -V | awk '{print $NF}')." \
       "Command: \`scripts/bench_large.sh\`. Peak RSS and wall time from \`/usr/bin/time -v\`;" \
       "every output compared with its input by cmp."
  echo
  echo "| run | peak RSS | wall (h:mm:ss) |"
  echo "|---|---:|---:|"
} > "$log"

head -c 1000000000 /dev/urandom > "$work/big"
measure "1 GB random, compress (file)" "$NNCOMP" -q --no-progress "$work/big"
measure "1 GB random, decompress (file)" "$NNCOMP" -q -d -o "$work/big.out" "$work/big.nnc"
cmp "$work/big" "$work/big.out"
measure "1 GB random, compress (pipe)" "cat '$work/big' | '$NNCOMP' -q > '$work/pipe.nnc'"
measure "1 GB random, decompress (pipe)" "cat '$work/pipe.nnc' | '$NNCOMP' -q -d | cmp - '$work/big'"
echo "| (archive: $(stat -c %s "$work/big.nnc") bytes for 1,000,000,000: stored frames of 32 MiB) | | |" >> "$log"
rm -f "$work/big" "$work/big.out" "$work/big.nnc" "$work/pipe.nnc"

for n in 1000000 4000000; do
  head -c "$n" "$text" > "$work/t$n"
  measure "$n bytes of $(basename "$text"), fast, -B 512Ki, compress" \
    "$NNCOMP" -q --no-progress -p fast -B 512Ki "$work/t$n"
  measure "$n bytes of $(basename "$text"), fast, -B 512Ki, decompress" \
    "$NNCOMP" -q --no-progress -d -o "$work/t$n.out" "$work/t$n.nnc"
  cmp "$work/t$n" "$work/t$n.out"
  echo "| (archive: $(stat -c %s "$work/t$n.nnc") bytes) | | |" >> "$log"
done
cat "$log"
