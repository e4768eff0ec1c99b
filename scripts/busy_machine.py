#!/usr/bin/env python3
"""How a run behaves on a busy machine: wall and CPU time of one compression and one
decompression (`-t`), first on an idle machine, then with one `yes > /dev/null` per available
core beside it (issue #36, item 0).

    python scripts/busy_machine.py [--preset default] [--bytes 20000] [--runs 2] FILE
Markdown on stdout. A good neighbour takes at most ~2.5x its idle wall time (it gets half the
cores) and about its idle CPU time (spinning threads burn CPU waiting for each other).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time


def one(cmd: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="default")
    ap.add_argument("--bytes", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--threads", default=None, help="-T for nncomp")
    ap.add_argument("file")
    a = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.NamedTemporaryFile(suffix=".in") as f:
        with open(a.file, "rb") as src:
            f.write(src.read(a.bytes))
        f.flush()
        threads = ["-T", a.threads] if a.threads else []
        compress = [sys.executable, "-m", "nncomp", "-p", a.preset, "--no-fallback", "-f", *threads, f.name]
        test = [sys.executable, "-m", "nncomp", "-t", "-q", *threads, f.name + ".nnc"]
        print(f"{a.preset}, first {a.bytes} bytes of {os.path.basename(a.file)}, {cores} cores, best "
              f"of {a.runs}, -T {a.threads or 'default'}; OMP_WAIT_POLICY="
              f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}\n")
        print("| direction | idle: wall s | CPU s | one `yes` per core: wall s | CPU s |")
        print("|---|---:|---:|---:|---:|")
        for name, cmd in (("compress", compress), ("decompress", test)):
            rows = []
            for load in (False, True):
                hogs = ([subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(cores)]
                        if load else [])
                try:
                    time.sleep(0.5 if load else 0)  # the hogs running before the run starts
                    runs = [one(cmd) for _ in range(a.runs)]
                finally:
                    for h in hogs:
                        h.kill()
                        h.wait()
                rows.append((min(r[0] for r in runs), min(r[1] for r in runs)))
            (w0, c0), (w1, c1) = rows
            print(f"| {name} | {w0:.1f} | {c0:.1f} | {w1:.1f} ({w1 / w0:.2f}x) | {c1:.1f} ({c1 / c0:.2f}x) |",
                  flush=True)
        os.unlink(f.name + ".nnc")


if __name__ == "__main__":
    main()
