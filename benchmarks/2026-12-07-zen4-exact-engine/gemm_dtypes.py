"""GEMM time by dtype for the exact engine's shapes (preset default, 10 streams), 2 threads.

    .venv/bin/python benchmarks/2026-12-07-zen4-exact-engine/gemm_dtypes.py
Recorded on zen4: three step GEMMs 1.90 / 0.72 / 0.30 ms (float64 / float32 / bf16);
[200 x 2048] x [2048 x 512] 5.85 / 2.41 / 1.12 ms."""
import time

import torch

torch.set_num_threads(2)
STEP = [(10, 320, 1024), (10, 576, 1024), (10, 512, 2051)]  # two cells and the head
for dt in (torch.float64, torch.float32, torch.bfloat16):
    mats = [(torch.randn(M, K).to(dt), torch.randn(K, N).to(dt)) for M, K, N in STEP]
    for a, b in mats:
        a @ b
    t = time.perf_counter()
    for _ in range(100):
        for a, b in mats:
            a @ b
    step = (time.perf_counter() - t) / 100 * 1e3
    a, b = torch.randn(200, 2048).to(dt), torch.randn(2048, 512).to(dt)
    a @ b
    t = time.perf_counter()
    for _ in range(20):
        a @ b
    print(f"{dt}: three step GEMMs {step:.2f} ms; [200 x 2048] x [2048 x 512] "
          f"{(time.perf_counter() - t) / 20 * 1e3:.2f} ms")
