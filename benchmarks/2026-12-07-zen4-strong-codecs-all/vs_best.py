#!/usr/bin/env python3
"""Each file's best conventional row (results.json here) beside nncomp's sizes from the logs of
rt.py / canterbury.py (benchmarks/2026-12-07-zen4-context-order4): one line per file.

    cd ../2026-12-07-zen4-context-order4
    python ../2026-12-07-zen4-strong-codecs-all/vs_best.py canterbury-*.log dickens-fast.log \\
        dickens-default.log xml-fast.log
"""
import json
import re
import sys
from pathlib import Path

rows = json.loads((Path(__file__).parent / "results.json").read_text())["codecs"]
best: dict[str, tuple[str, int, int]] = {}
for codec in rows:
    for r in codec["results"]:
        if "compressed" in r and (r["file"] not in best or r["compressed"] < best[r["file"]][1]):
            best[r["file"]] = (codec["name"], r["compressed"], r["n"])
ours: dict[str, dict[str, int]] = {}
for log in sys.argv[1:]:
    for line in Path(log).read_text().splitlines():
        # canterbury.py: "[PRESET] {...} FILE N -> SIZE BPB" (no preset: fast);
        # rt.py: "PRESET {...} FILE N: SIZE bytes ..."
        m = re.match(r"(?:(\w+) )?\{.*?\} (\S+) (\d+)(?: ->|:) (\d+)", line)
        if m and m[2] != "total":
            ours.setdefault(m[2], {})[m[1] or "fast"] = int(m[4])
for name, (codec, size, n) in sorted(best.items()):
    line = f"{name:14s} {n:>10,} best {codec:10s} {size * 8 / n:.4f}"
    for preset, v in sorted(ours.get(name, {}).items(), reverse=True):
        line += f"   {preset} {v * 8 / n:.4f} ({(v / size - 1) * 100:+.1f} %)"
    print(line)
