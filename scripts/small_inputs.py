#!/usr/bin/env python3
"""Where the model starts to beat LZMA2: for each preset, prefixes of growing size of several
files, the size of the model's frame (nncomp.compress(..., fallback=False)) against an LZMA2
frame at xz -9e settings (30 bytes of frame + raw LZMA2), and the model's wall time. The
threshold under which a preset skips the model (presets.MODEL_FROM) is chosen from this.

    python scripts/small_inputs.py [--presets fast,default,max] [--sizes 1k,2k,...] FILE...
Markdown on stdout, progress on stderr.
"""
from __future__ import annotations

import argparse
import lzma
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import nncomp  # noqa: E402
from nncomp.system.sizes import parse_size  # noqa: E402

LZMA_FRAME = 30  # bytes a frame adds around the raw LZMA2 data (docs/FORMAT.md)


def lzma_frame_size(data: bytes) -> int:
    dict_size = min(64 << 20, max(4096, 1 << max(len(data) - 1, 1).bit_length()))
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": dict_size}]
    return LZMA_FRAME + len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="fast,default,max")
    ap.add_argument("--sizes", default="1k,2k,4k,8k,16k,32k")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    sizes = [parse_size(s) for s in a.sizes.split(",")]
    print("| preset | file | bytes | model frame | LZMA2 frame | model / LZMA2 | model s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for preset in a.presets.split(","):
        for f in a.files:
            data_all = Path(f).read_bytes()
            for n in sizes:
                data = data_all[:n]
                if len(data) < n:
                    continue
                t0 = time.perf_counter()
                model = len(nncomp.compress(data, preset, fallback=False, threads=a.threads))
                secs = time.perf_counter() - t0
                lz = lzma_frame_size(data)
                print(f"| {preset} | {Path(f).name} | {n} | {model} | {lz} | {model / lz:.3f} | "
                      f"{secs:.1f} |", flush=True)
                print(f"{preset} {Path(f).name} {n}: {model} vs {lz} ({secs:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
