#!/usr/bin/env python3
"""The cost of exactness: a preset on the exact engine (engine 3, what it runs now) against the
same recipe on the float engine (engine 2, the presets before it), in one run on one machine,
whole-file round trips verified. JSON lines on stdout, progress on stderr.

    [THREADS=2] .venv/bin/python scripts/exact_vs_float.py PRESET FILE[:BYTES] [FILE[:BYTES] ...]

MB = 10^6; speeds against the uncompressed size. The float recipes below are the presets as
they were before the exact engine (git show 3f3795f:nncomp/presets.py).
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import nncomp
from nncomp.system.machine import cpu_info

# What the float engine's presets set beyond the exact ones' fields.
FLOAT_RECIPES = {
    "test": {"reuse_probs": True},
    "fast": {"reuse_probs": True, "train_head_dtype": "bfloat16"},
    "default": {"reuse_probs": True, "dtype": "bfloat16", "train_dtype": "bfloat16",
                "float32_below": 16},
    "max": {"reuse_probs": True, "dtype": "bfloat16", "train_dtype": "bfloat16",
            "float32_below": 8},
}


def recipe(preset: str, exact: bool) -> nncomp.ModelConfig:
    cfg = nncomp.PRESETS[preset]
    return cfg if exact else dataclasses.replace(cfg, exact=False, **FLOAT_RECIPES[preset])


# Both engines run this many torch threads (the exact engine's default follows the free cores,
# the float engine's is fixed): the same for both rows of a file.
THREADS = int(os.environ.get("THREADS", "2"))


def measure(preset: str, path: str, limit: int | None, exact: bool) -> dict:
    with open(path, "rb") as f:
        data = f.read(limit) if limit else f.read()
    c = nncomp.Compressor(preset, config=recipe(preset, exact), fallback=False, threads=THREADS)
    t = time.perf_counter()
    blob = c.compress(data)
    tc = time.perf_counter() - t
    t = time.perf_counter()
    out = nncomp.Decompressor(threads=THREADS).decompress(blob)
    td = time.perf_counter() - t
    assert out == data, "round trip failed"
    return {"preset": preset, "engine": 3 if exact else 2, "file": os.path.basename(path),
            "bytes": len(data), "compressed": len(blob), "bits_per_byte": 8 * len(blob) / len(data),
            "compress_kB_s": len(data) / tc / 1e3, "decompress_kB_s": len(data) / td / 1e3}


def main() -> int:
    preset, files = sys.argv[1], sys.argv[2:]
    cpu, isa = cpu_info()
    meta = {"cpu": cpu, "isa": isa, "threads": THREADS,
            "nncomp": nncomp.__version__}
    print(json.dumps({"meta": meta}), flush=True)
    for spec in files:
        path, _, n = spec.partition(":")
        for exact in (True, False):
            row = measure(preset, path, int(n) if n else None, exact)
            print(json.dumps(row), flush=True)
            print(f"{row['file']} {preset} engine {row['engine']}: {row['bits_per_byte']:.4f} "
                  f"bits/byte, {row['compress_kB_s']:.1f} / {row['decompress_kB_s']:.1f} kB/s",
                  file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
