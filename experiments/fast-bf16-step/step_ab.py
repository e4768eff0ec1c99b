"""The stepwise path alone, float32 against bfloat16, interleaved in one process.

    .venv/bin/python experiments/fast-bf16-step/step_ab.py [PRESET] [B,B,...]

Two models of PRESET (vocab 1536, as fast's text dictionary gives on dickens; V=N overrides)
step the same random inputs in turns of 200 steps, 8 turns each; prints the median µs per step.
Random inputs miss what a real run does between steps (coding, the match and context models,
training), so the engine's own timings (scripts/profile_engine.py) decide; this separates the
step's own cost from those.
"""
# Written against the package's layout of commit 57a8a15 (it drives the engine's internals, which
# have moved since): run it from a checkout of that commit, where it lived under
# experiments/.
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from nncomp import presets  # noqa: E402
from nncomp.engine import build, torch_settings  # noqa: E402
from nncomp.malloc import keep_freed_memory  # noqa: E402

STEPS, TURNS = 200, 8


def main() -> None:
    keep_freed_memory()  # as the nncomp command does
    preset = sys.argv[1] if len(sys.argv) > 1 else "fast"
    sizes = [int(b) for b in (sys.argv[2] if len(sys.argv) > 2 else "16,32,48,64").split(",")]
    vocab = int(os.environ.get("V", "1536"))
    for B in sizes:
        with torch_settings(2):
            models = {}
            for dt in ("float32", "bfloat16"):
                cfg = dataclasses.replace(presets.get(preset), streams=B, dtype=dt, vocab=vocab)
                m = build(cfg, torch.device("cpu"))
                models[dt] = (m, m.initial_state(B))
            K = models["float32"][0]._ctx_order.numel()
            g = torch.Generator().manual_seed(0)
            prev = torch.randint(0, vocab, (STEPS, B), generator=g)
            pred = torch.randint(0, vocab + 1, (STEPS, B), generator=g)
            bucket = torch.randint(0, 8, (STEPS, B), generator=g)
            cand = torch.randint(0, vocab, (STEPS, B, K), generator=g)
            cbucket = torch.randint(0, 100, (STEPS, B, K), generator=g)
            times: dict[str, list[float]] = {dt: [] for dt in models}
            for _ in range(TURNS):
                for dt, (m, state) in models.items():
                    t0 = time.perf_counter()
                    for i in range(STEPS):
                        m.step(prev[i], state, pred[i], bucket[i], (cand[i], cbucket[i])).numpy()
                    times[dt].append((time.perf_counter() - t0) / STEPS * 1e6)
            print(f"B={B}", {dt: round(float(np.median(t))) for dt, t in times.items()}, flush=True)


if __name__ == "__main__":
    main()
