#!/usr/bin/env python3
"""
# Written against the package's layout of the commit this run names (nncomp/model.py and its
# neighbours, since moved to nncomp/net/): run it from a checkout of that commit.Milliseconds per training block with and without reuse_probs, the two interleaved (A B A B
...) so that this VM's drift falls on both alike; the median of each.

    .venv/bin/python benchmarks/2026-11-28-zen4-reuse/train_block.py [--preset fast] [--streams 64]
        [--rounds 6] [--blocks 15]
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from nncomp import determinism, presets  # noqa: E402
from nncomp.config import CTX_BUCKETS, MATCH_BUCKETS  # noqa: E402
from nncomp.context import TOP  # noqa: E402
from nncomp.model import build  # noqa: E402


def block(cfg, gen):
    """Random inputs of one block, as the engine passes them, and probabilities to reuse."""
    T, B, V, K = cfg.bptt, cfg.streams, cfg.vocab, cfg.context * TOP
    r = lambda hi, *shape: torch.randint(0, hi, shape, generator=gen)  # noqa: E731
    ctx = (r(V, T, B, K), r(cfg.context * CTX_BUCKETS + 1, T, B, K))
    probs = torch.softmax(torch.randn(T, B, V, generator=gen) * 3, -1)
    return r(V, T, B), r(V, T, B), r(V + 1, T, B), r(MATCH_BUCKETS, T, B), ctx, probs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--streams", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=0, help="default: the preset's text_vocab")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--blocks", type=int, default=15)
    a = ap.parse_args()
    base = presets.get(a.preset)
    cfg = dataclasses.replace(base, vocab=a.vocab or base.text_vocab).resolve_streams(
        a.streams * base.stream_len)
    cfg = dataclasses.replace(cfg, streams=a.streams)
    times: dict[bool, list[float]] = {False: [], True: []}
    with determinism.torch_settings(determinism.default_threads()):
        models = {r: build(dataclasses.replace(cfg, reuse_probs=r)) for r in (False, True)}
        gen = torch.Generator().manual_seed(0)
        blocks = [block(cfg, gen) for _ in range(4)]
        for rnd in range(a.rounds + 1):  # round 0 warms up
            for reuse, model in models.items():
                state = model.block_start(model.initial_state(cfg.streams))
                t0 = time.perf_counter()
                for i in range(a.blocks):
                    inp, tgt, pred, bucket, ctx, probs = blocks[i % len(blocks)]
                    model.train_block(inp, tgt, state, pred, bucket, ctx, probs=probs)
                if rnd:
                    times[reuse].append((time.perf_counter() - t0) / a.blocks * 1e3)
    print(f"{a.preset}: B={cfg.streams} V={cfg.vocab} {cfg.dtype}/{cfg.train_dtype}"
          f"/{cfg.train_head_dtype or cfg.train_dtype}; ms per block, {a.rounds} rounds of "
          f"{a.blocks} blocks")
    for reuse, ts in times.items():
        print(f"  reuse_probs={str(reuse):<5}  median {statistics.median(ts):7.2f}   "
              f"rounds {' '.join(f'{t:.1f}' for t in ts)}")
    print(f"  saved {1 - statistics.median(times[True]) / statistics.median(times[False]):.1%}")


if __name__ == "__main__":
    main()
