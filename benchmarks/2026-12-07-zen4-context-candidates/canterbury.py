#!/usr/bin/env python3
"""Preset fast on every file of a corpus folder as `nncomp` codes it (LZMA2 where smaller), one
thread, every round trip verified; a line per file and the total on stdout.

    python canterbury.py FOLDER [FIELD=N ...]
"""
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import nncomp  # noqa: E402

folder = Path(sys.argv[1])
over = {k: int(v) for k, v in (a.split("=") for a in sys.argv[2:])}
cfg = dataclasses.replace(nncomp.PRESETS["fast"], **over) if over else None
size = coded = 0
for f in sorted(p for p in folder.iterdir() if p.name != "SHA256SUMS"):
    data = f.read_bytes()
    blob = nncomp.Compressor("fast", threads=1, config=cfg).compress(data)
    assert nncomp.decompress(blob) == data
    size, coded = size + len(data), coded + len(blob)
    print(f"{over} {f.name} {len(data)} -> {len(blob)} {len(blob) * 8 / len(data):.4f}", flush=True)
print(f"{over} total {size} -> {coded} {coded * 8 / size:.4f}", flush=True)
