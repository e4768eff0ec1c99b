#!/usr/bin/env python3
"""One preset compressing one file, one thread (compression only, for screening); one line.

    python prefix.py PRESET FILE [FIELD=N ...]
"""
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import nncomp  # noqa: E402

preset, path = sys.argv[1], sys.argv[2]
over = {k: int(v) for k, v in (a.split("=") for a in sys.argv[3:])}
data = Path(path).read_bytes()
cfg = dataclasses.replace(nncomp.PRESETS[preset], **over) if over else None
t0 = time.perf_counter()
blob = nncomp.Compressor(preset, threads=1, fallback=False, config=cfg).compress(data)
c = time.perf_counter() - t0
print(f"{preset} {over} {len(data)}: {len(blob)} bytes {len(blob) * 8 / len(data):.4f} bits/byte, "
      f"compress {len(data) / c / 1e3:.1f} kB/s", flush=True)
