#!/usr/bin/env python3
"""The nncomp rows of `nncomp bench` results against each file's best conventional row in the
same files: the frame kind each file got, its size and bits per byte, and the gap.

    python vs_best.py results.json results-ppmdI.json
"""
import json
import sys
from pathlib import Path

codecs = [c for path in sys.argv[1:] for c in json.loads(Path(path).read_text())["codecs"]]
best: dict[str, tuple[str, int]] = {}
for codec in codecs:
    if codec["name"].startswith("nncomp"):
        continue
    for r in codec["results"]:
        if r.get("verified") and (r["file"] not in best or r["compressed"] < best[r["file"]][1]):
            best[r["file"]] = (codec["name"], r["compressed"])
print("| row | file | frame | bytes | bits/byte | best conventional | bytes | gap |")
print("|---|---|---|---:|---:|---|---:|---:|")
for codec in codecs:
    if not codec["name"].startswith("nncomp"):
        continue
    for r in codec["results"]:
        rival, size = best[r["file"]]
        print(f"| {codec['name']} | {r['file']} | {r['kind']} | {r['compressed']} | "
              f"{8 * r['compressed'] / r['n']:.4f} | {rival} | {size} | "
              f"{(r['compressed'] / size - 1) * 100:+.2f} % |")
