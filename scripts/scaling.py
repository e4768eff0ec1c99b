#!/usr/bin/env python3
"""How nncomp scales over the cores of one machine: the CLI compresses and decompresses one
input with -T 1, 2, 4, ... (one worker process per block that can run at once), and this prints
the speed-up, the efficiency (speed-up / N), the ratio, whether the archive is the same bytes as
with -T 1, and the peak RSS of the largest process (the CLI or one of its workers). JSON lines on
stdout (a meta line, then one per N), progress on stderr.

    .venv/bin/python scripts/scaling.py FILE [--bytes 64000000] [-B 4Mi] [-p fast] [-T 1,2,4,8,16]
                                         [--warm W]

The input is FILE's first --bytes bytes (FILE repeated to reach them where it is shorter; frames
are independent, so a repeat across blocks costs the same as new text). MB = 10^6; speeds against
the uncompressed size. Nothing else should run on the machine meanwhile.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import nncomp
from nncomp.system.machine import available_cores, cpu_info

# Runs a command and prints the peak RSS (kB) of the largest process it waited for, itself
# or a descendant: RUSAGE_CHILDREN's ru_maxrss.
_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]).returncode; "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
         "sys.exit(r)")


def timed(cmd: list[str], out_path: str) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of cmd, its stdout written to out_path."""
    with open(out_path, "wb") as out:
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", _PEAK, *cmd], stdout=out,
                           stderr=subprocess.PIPE, check=True)
        seconds = time.perf_counter() - t
    return seconds, int(p.stderr.split()[-1]) * 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--bytes", type=int, default=64_000_000)
    ap.add_argument("-B", "--block-size", default="4Mi")
    ap.add_argument("-p", "--preset", default="fast")
    ap.add_argument("--warm", type=int, default=0, metavar="W", help="nncomp --warm W")
    ap.add_argument("-T", "--threads", default=None,
                    help="comma-separated core counts (default: 1, 2, 4, ... up to the cores)")
    args = ap.parse_args()
    cores = available_cores()
    counts = ([int(n) for n in args.threads.split(",")] if args.threads
              else [n for n in (1, 2, 4, 8, 16, 32, 64) if n <= cores])
    cpu, isa = cpu_info()
    print(json.dumps({"meta": {"cpu": cpu, "isa": isa, "cores": cores, "preset": args.preset,
                               "block_size": args.block_size, "warm": args.warm, "file": args.file,
                               "nncomp": nncomp.__version__}}), flush=True)
    with open(args.file, "rb") as f:
        data = f.read(args.bytes)
    data = (data * (args.bytes // max(len(data), 1) + 1))[:args.bytes]
    cli = [sys.executable, "-m", "nncomp"]
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        src, arc, back = (os.path.join(tmp, n) for n in ("input", "input.nnc", "back"))
        with open(src, "wb") as f:
            f.write(data)
        for n in counts:
            print(f"-T {n}: compressing {len(data) / 1e6:.1f} MB", file=sys.stderr, flush=True)
            tc, rss_c = timed([*cli, "-p", args.preset, "-B", args.block_size, "-T", str(n),
                               "--warm", str(args.warm), "-c", src], arc)
            print(f"-T {n}: decompressing", file=sys.stderr, flush=True)
            td, rss_d = timed([*cli, "-d", "-T", str(n), "-c", arc], back)
            with open(back, "rb") as f:
                assert f.read() == data, f"-T {n}: round trip failed"
            with open(arc, "rb") as f:
                blob = f.read()
            digest = hashlib.sha256(blob).hexdigest()
            row = {"threads": n, "bytes": len(data), "compressed": len(blob),
                   "bits_per_byte": 8 * len(blob) / len(data), "sha256": digest,
                   "compress_s": tc, "decompress_s": td,
                   "compress_MB_s": len(data) / tc / 1e6, "decompress_MB_s": len(data) / td / 1e6,
                   "peak_rss_compress": rss_c, "peak_rss_decompress": rss_d}
            base = base or row
            row.update(same_archive=digest == base["sha256"],
                       speedup_compress=base["compress_s"] / tc,
                       speedup_decompress=base["decompress_s"] / td)
            row.update(efficiency_compress=row["speedup_compress"] / n * base["threads"],
                       efficiency_decompress=row["speedup_decompress"] / n * base["threads"])
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
