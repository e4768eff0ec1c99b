#!/usr/bin/env python3
"""Write corpora/sensor.f32: 8192 little-endian float32 samples of a noisy, drifting signal.

Deterministic (fixed seed, integer-only generator), so the committed file can be rebuilt
byte for byte: the binary half of the shipped corpus, where text dictionaries do not help.
"""
import math
import struct
from pathlib import Path


def lcg(seed: int):
    while True:
        seed = (seed * 6364136223846793005 + 1442695040888963407) % 2**64
        yield (seed >> 11) / 2**53


def main() -> None:
    rnd = lcg(12345)
    vals, drift = [], 20.0
    for i in range(8192):
        drift += (next(rnd) - 0.5) * 0.01
        v = drift + 2.5 * math.sin(2 * math.pi * i / 600) + (next(rnd) - 0.5) * 0.2
        vals.append(round(v, 2))  # a sensor with 0.01 resolution
    out = Path(__file__).resolve().parent.parent / "corpora" / "sensor.f32"
    out.write_bytes(struct.pack(f"<{len(vals)}f", *vals))


if __name__ == "__main__":
    main()
