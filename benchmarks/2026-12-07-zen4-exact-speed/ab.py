#!/usr/bin/env python3
"""One preset's round trip with the nncomp found in CHECKOUT (for A/B runs of two commits: a
`git worktree` of the older one beside this checkout), one thread, verified; one line on stdout.

    .venv/bin/python ab.py CHECKOUT BYTES STREAMS [PRESET [FILE]]

STREAMS 0 lets the preset choose B from the input's length. MB = 10^6, speeds against the
input's size.
"""
import dataclasses
import hashlib
import sys
import time

root = sys.argv[1]
sys.path.insert(0, root)
import nncomp  # noqa: E402

assert nncomp.__file__.startswith(root), nncomp.__file__
limit, B = int(sys.argv[2]), int(sys.argv[3])
preset = sys.argv[4] if len(sys.argv) > 4 else "fast"
path = sys.argv[5] if len(sys.argv) > 5 else "../shared/corpora/silesia/dickens"
with open(path, "rb") as f:
    data = f.read(limit)
n = len(data)
cfg = dataclasses.replace(nncomp.PRESETS[preset], streams=B) if B else None
t0 = time.perf_counter()
blob = nncomp.Compressor(preset, threads=1, fallback=False, config=cfg).compress(data)
c = time.perf_counter() - t0
t0 = time.perf_counter()
back = nncomp.Decompressor(threads=1).decompress(blob)
d = time.perf_counter() - t0
assert back == data
print(f"{root} {preset} {n} bytes B={B or 'preset'}: compress {n / c / 1e3:.1f} kB/s, "
      f"decompress {n / d / 1e3:.1f} kB/s, {len(blob) * 8 / n:.4f} bits/byte, "
      f"archive sha256 {hashlib.sha256(blob).hexdigest()[:12]}", flush=True)
