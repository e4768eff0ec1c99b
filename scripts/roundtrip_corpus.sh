#!/usr/bin/env bash
# Round-trip every file of a folder through the nncomp CLI, via files and via pipes, plus an
# empty file, 1 MB of random bytes and a tar -I nncomp of the folder. Writes a Markdown log.
#   scripts/roundtrip_corpus.sh [DIR] [PRESET] [LOG]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(cd "${1:-../shared/corpora/canterbury}" && pwd)"
preset="${2:-fast}"
log="${3:-/dev/stdout}"  # a new benchmarks/DATE-MACHINE-cli-roundtrips/README.md to record it
NNCOMP="${NNCOMP:-$PWD/.venv/bin/nncomp}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c 1000000 /dev/urandom > "$work/random.bin"
: > "$work/empty"
fail=0
{
  echo "# CLI round trips ($(date -u +%F), preset $preset)"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs. Each file: \`nncomp FILE\` then \`nncomp -d\` (files), and \`cat FILE | nncomp | nncomp -d\` (pipes); both compared with cmp."
  echo
  echo "| file | bytes | .nnc bytes | files | pipes |"
  echo "|---|---:|---:|---|---|"
} > "$log"
for f in "$dir"/* "$work/random.bin" "$work/empty"; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  case "$name" in SHA256SUMS|README*) continue ;; esac
  cp "$f" "$work/in"
  "$NNCOMP" -q -f -p "$preset" --no-progress "$work/in"
  size=$(stat -c %s "$work/in.nnc")
  mv "$work/in" "$work/orig"
  "$NNCOMP" -q -d "$work/in.nnc"
  cmp -s "$work/in" "$work/orig" && files=ok || { files=FAIL; fail=1; }
  rm -f "$work/in" "$work/in.nnc" "$work/orig"
  cat "$f" | "$NNCOMP" -q -p "$preset" | "$NNCOMP" -q -d | cmp -s - "$f" && pipes=ok || { pipes=FAIL; fail=1; }
  echo "| $name | $(stat -c %s "$f") | $size | $files | $pipes |" >> "$log"
done
mkdir -p "$work/t"
tar -I "$NNCOMP -q -p $preset" -cf "$work/d.tar.nnc" -C "$dir" .
tar -I "$NNCOMP -q" -xf "$work/d.tar.nnc" -C "$work/t"
diff -r "$dir" "$work/t" > /dev/null && tarres=ok || { tarres=FAIL; fail=1; }
echo >> "$log"
echo "tar -I nncomp of the whole folder: $tarres ($(stat -c %s "$work/d.tar.nnc") bytes)." >> "$log"
cat "$log"
exit $fail
