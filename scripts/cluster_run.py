#!/usr/bin/env python3
"""A Ray cluster against the local pool, with a worker killed: NODES Ray nodes of one CPU each on
this machine (ray.cluster_utils.Cluster, as `ray start` would make them) compress and decompress
an input through the public API's `cluster=`, while this script kills the worker process of the
first frame task it sees, mid-task. Prints one JSON line: the times, whether the cluster's archive
is the local one byte for byte, whether the round trip holds, and what was killed.

    .venv/bin/python scripts/cluster_run.py FILE [--bytes 64000000] [-B 4Mi] [-p fast] [--nodes 3]
                                             [--warm W]

The input is FILE's first --bytes bytes (repeated where FILE is shorter). MB = 10^6.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import threading
import time

import nncomp
import nncomp.cluster
from nncomp.system.machine import available_cores, cpu_info
from nncomp.system.sizes import parse_size


def frame_tasks() -> list[int]:
    """The pids of Ray workers running a frame task now (their title is ray::TASK_NAME)."""
    title = ("ray::" + nncomp.cluster.TASK_NAME).encode()
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if f.read().startswith(title):
                        pids.append(int(p))
            except OSError:
                pass
    return pids


def kill_one(after: float, killed: list) -> None:
    """SIGKILL the first frame task seen, `after` seconds into it."""
    deadline = time.time() + 3600
    while time.time() < deadline:
        if pids := frame_tasks():
            time.sleep(after)
            try:
                os.kill(pids[0], signal.SIGKILL)
                killed.append({"pid": pids[0], "at_s": round(time.time() - START, 1)})
                return
            except ProcessLookupError:
                continue
        time.sleep(0.02)


START = time.time()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--bytes", type=int, default=64_000_000)
    ap.add_argument("-B", "--block-size", default="4Mi")
    ap.add_argument("-p", "--preset", default="fast")
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--warm", type=int, default=0, metavar="W", help="Compressor(warm=W)")
    ap.add_argument("--kill-after", type=float, default=5.0, help="seconds into the task")
    args = ap.parse_args()
    from ray.cluster_utils import Cluster  # the extra nncomp[cluster]

    with open(args.file, "rb") as f:
        data = f.read(args.bytes)
    data = (data * (args.bytes // max(len(data), 1) + 1))[:args.bytes]
    block = parse_size(args.block_size)
    cpu, isa = cpu_info()
    row: dict = {"cpu": cpu, "isa": isa, "cores": available_cores(), "nodes": args.nodes,
                 "preset": args.preset, "bytes": len(data), "block_size": block, "warm": args.warm,
                 "nncomp": nncomp.__version__}

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t

    def compress(**where) -> bytes:
        dst = io.BytesIO()
        nncomp.compress_stream(io.BytesIO(data), dst, args.preset, block_size=block,
                               warm=args.warm, **where)
        return dst.getvalue()

    print(f"local pool, -T {available_cores()}", file=sys.stderr, flush=True)
    local, row["local_compress_s"] = timed(lambda: compress(threads=available_cores()))
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    for _ in range(args.nodes - 1):
        cluster.add_node(num_cpus=1)
    killed: list = []
    threading.Thread(target=kill_one, args=(args.kill_after, killed), daemon=True).start()
    print(f"{args.nodes} Ray nodes, one task to be killed", file=sys.stderr, flush=True)
    remote, row["cluster_compress_s"] = timed(lambda: compress(cluster=cluster.address))
    back = io.BytesIO()
    _, row["cluster_decompress_s"] = timed(
        lambda: nncomp.decompress_stream(io.BytesIO(remote), back, cluster=cluster.address))
    row.update(compressed=len(remote), bits_per_byte=8 * len(remote) / len(data),
               frames=len(nncomp.info(remote)), same_archive=remote == local,
               round_trip=back.getvalue() == data, killed=killed,
               cluster_compress_MB_s=len(data) / row["cluster_compress_s"] / 1e6,
               local_compress_MB_s=len(data) / row["local_compress_s"] / 1e6)
    print(json.dumps(row), flush=True)
    import ray
    ray.shutdown()  # the driver first: a cluster does not remove the node it is connected to
    cluster.shutdown()
    return 0 if row["same_archive"] and row["round_trip"] and killed else 1


if __name__ == "__main__":
    sys.exit(main())
