#!/usr/bin/env python3
"""A preset (fast unless --preset names another) on every file of a corpus folder as `nncomp`
codes it (LZMA2 where smaller), one thread, every round trip verified; a line per file and the
total on stdout.

    python canterbury.py [--preset NAME] FOLDER [FIELD=N ...]
"""
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import nncomp  # noqa: E402

args = sys.argv[1:]
preset = "fast"
if args[0] == "--preset":
    preset, args = args[1], args[2:]
folder = Path(args[0])
over = {k: int(v) for k, v in (a.split("=") for a in args[1:])}
cfg = dataclasses.replace(nncomp.PRESETS[preset], **over) if over else None
size = coded = 0
for f in sorted(p for p in folder.iterdir() if p.name != "SHA256SUMS"):
    data = f.read_bytes()
    blob = nncomp.Compressor(preset, threads=1, config=cfg).compress(data)
    assert nncomp.decompress(blob) == data
    size, coded = size + len(data), coded + len(blob)
    print(f"{preset} {over} {f.name} {len(data)} -> {len(blob)} {len(blob) * 8 / len(data):.4f}", flush=True)
print(f"{preset} {over} total {size} -> {coded} {coded * 8 / size:.4f}", flush=True)
