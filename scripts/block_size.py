#!/usr/bin/env python3
"""What independent frames cost: one file compressed with several block sizes (-B), each frame's
model starting from nothing, against the file as one frame. Round trips verified. JSON lines on
stdout (a meta line, one line per block size with each frame's size, and the whole-file run's
learning curve: model bits against bytes coded so far), progress on stderr.

    .venv/bin/python scripts/block_size.py PRESET FILE SIZE [SIZE ...]     # sizes in bytes
    .venv/bin/python scripts/block_size.py PRESET FILE SIZE --warm 2 --whole BYTES

--warm W links the frames into W warm chains (Compressor(warm=W)); --whole BYTES takes the
one-frame archive's size from an earlier run instead of compressing the whole file again.

The curve is the model's learning curve (a frame's streams run side by side, so the bytes coded
so far are not a prefix of the file): after B bytes a cold model has spent curve(B) bits, and the
slope of the curve at the end is what a warm model pays per byte.
Frames run in one process with one thread, so a second job may share the machine (the bits do
not depend on it; the speeds in the lines do).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time

import nncomp
from nncomp.system.machine import cpu_info


def run(preset: str, data: bytes, block: int, curve: list | None = None, warm: int = 0) -> dict:
    dst = io.BytesIO()
    step = [0]

    def progress(done: int, total: int, bits: float) -> None:
        if curve is not None and done >= step[0]:
            curve.append((done, round(bits, 1)))
            step[0] = done + (1 << 17)
        print(f"\r{preset} -B {block}: {done / 1e6:.2f} / {total / 1e6:.2f} MB", end="",
              file=sys.stderr, flush=True)

    t = time.perf_counter()
    info = nncomp.compress_stream(io.BytesIO(data), dst, preset, block_size=block, threads=1,
                                  progress=progress, total=len(data), warm=warm)
    tc = time.perf_counter() - t
    blob = dst.getvalue()
    t = time.perf_counter()
    out = io.BytesIO()
    nncomp.decompress_stream(io.BytesIO(blob), out, threads=1)
    td = time.perf_counter() - t
    print(file=sys.stderr)
    assert hashlib.sha256(out.getvalue()).digest() == hashlib.sha256(data).digest(), "round trip"
    frames = [f.compressed for f in nncomp.info(blob)]
    return {"block_size": block, "warm": warm, "bytes": len(data), "compressed": len(blob),
            "frames": frames,
            "bits_per_byte": 8 * len(blob) / len(data), "model_bits": info.model_bits,
            "compress_kB_s": len(data) / tc / 1e3, "decompress_kB_s": len(data) / td / 1e3}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("preset")
    ap.add_argument("path")
    ap.add_argument("sizes", type=int, nargs="+")
    ap.add_argument("--warm", type=int, default=0, metavar="W")
    ap.add_argument("--whole", type=int, default=None, metavar="BYTES")
    args = ap.parse_args()
    preset, path, sizes = args.preset, args.path, args.sizes
    with open(path, "rb") as f:
        data = f.read()
    cpu, isa = cpu_info()
    print(json.dumps({"meta": {"cpu": cpu, "isa": isa, "threads": 1, "preset": preset,
                               "file": path, "nncomp": nncomp.__version__}}), flush=True)
    if args.whole is None:
        curve: list = []
        whole = run(preset, data, len(data), curve)
        print(json.dumps({**whole, "curve": curve}), flush=True)
    else:
        whole = {"compressed": args.whole}
    for size in sizes:
        row = run(preset, data, size, warm=args.warm)
        row["loss_vs_whole"] = row["compressed"] / whole["compressed"] - 1
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
