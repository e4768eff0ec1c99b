#!/usr/bin/env python3
"""One preset's round trip on one file, one thread, verified; one line on stdout.

    python rt.py [--compress-only] PRESET FILE [FIELD=N ...]

FIELD=N replaces an integer field of the preset's recipe (e.g. ctx_top=4 ctx_slot=8: fast as it
was). --compress-only skips decoding (screening). MB = 10^6, speeds against the input's size.
"""
import dataclasses
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import nncomp  # noqa: E402

args = sys.argv[1:]
only = args[0] == "--compress-only"
preset, path, *fields = args[only:]
over = {k: int(v) for k, v in (a.split("=") for a in fields)}
data = Path(path).read_bytes()
cfg = dataclasses.replace(nncomp.PRESETS[preset], **over) if over else None
t0 = time.perf_counter()
blob = nncomp.Compressor(preset, threads=1, fallback=False, config=cfg).compress(data)
c = time.perf_counter() - t0
n = len(data)
line = (f"{preset} {over} {Path(path).name} {n}: {len(blob)} bytes {len(blob) * 8 / n:.4f} "
        f"bits/byte, compress {n / c / 1e3:.1f} kB/s")
if not only:
    t0 = time.perf_counter()
    assert nncomp.Decompressor(threads=1).decompress(blob) == data
    line += f", decompress {n / (time.perf_counter() - t0) / 1e3:.1f} kB/s"
print(f"{line}, sha256 {hashlib.sha256(blob).hexdigest()[:12]}", flush=True)
