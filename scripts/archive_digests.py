#!/usr/bin/env python3
"""SHA-256 of the archives a fixed set of inputs compresses to, through the public API: run it
on two commits to show a change leaves every archive byte-identical (a refactoring, a move).

    python scripts/archive_digests.py [test|presets|all] > digests.json

`test`: the test preset on empty input, text, alice29.txt, prefixes of silesia dickens (with a
text dictionary), xml and kennedy.xls, binary floats, one thread, LZMA2 fallback, streamed
blocks and a Transformer config (seconds to minutes). `presets`: fast and default on the shipped
corpus, max on a prefix, default on 300 kB and 1.3 MB of dickens (its bf16 path where the CPU
has it; ~15 minutes on 2 cores). Model frames are kept (fallback=False) so that the model's
bytes are compared, not an LZMA2 frame that would hide them. Progress on stderr.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import sys
from pathlib import Path

import nncomp

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    alice = (ROOT / "corpora" / "alice29.txt").read_bytes()
    sensor = (ROOT / "corpora" / "sensor.f32").read_bytes()
    dickens = (SHARED / "silesia" / "dickens").read_bytes()[:1_300_000]
    xml = (SHARED / "silesia" / "xml").read_bytes()[:60_000]
    kennedy = (SHARED / "canterbury" / "kennedy.xls").read_bytes()[:40_000]
    text = b"It was the best of times, it was the worst of times, it was the age of wisdom. " * 60
    out: dict[str, str] = {}

    def record(name: str, blob: bytes) -> None:
        out[name] = f"{hashlib.sha256(blob).hexdigest()[:16]} {len(blob)}"
        print(name, out[name], file=sys.stderr, flush=True)

    if which in ("all", "test"):
        for name, data in [("empty", b""), ("text", text), ("alice", alice),
                           ("dickens300k", dickens[:300_000]), ("xml60k", xml),
                           ("kennedy40k", kennedy), ("sensor", sensor)]:
            record(f"test/{name}", nncomp.compress(data, "test", fallback=False))
        record("test/alice-fallback", nncomp.compress(alice[:30000], "test"))
        record("test/alice-T1", nncomp.compress(alice[:30000], "test", threads=1, fallback=False))
        dst = io.BytesIO()
        nncomp.compress_stream(io.BytesIO(alice[:90000]), dst, "test", block_size=40000)
        record("test/stream-alice90k-B40k", dst.getvalue())
        tr = dataclasses.replace(nncomp.PRESETS["test"], arch="transformer", embed=16, hidden=16,
                                 heads=2, memory=16)
        record("test/transformer-text", nncomp.compress_info(text, config=tr, fallback=False)[0])
    if which in ("all", "presets"):
        for p in ("fast", "default"):
            record(f"{p}/alice", nncomp.compress(alice, p, fallback=False))
            record(f"{p}/sensor", nncomp.compress(sensor, p, fallback=False))
        record("max/alice20k", nncomp.compress(alice[:20000], "max", fallback=False))
        record("default/dickens1300k", nncomp.compress(dickens, "default", fallback=False))
        record("default/dickens300k", nncomp.compress(dickens[:300_000], "default", fallback=False))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
