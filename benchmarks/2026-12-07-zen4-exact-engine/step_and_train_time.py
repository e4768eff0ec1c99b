"""Median time of 20 steps and one training block of the exact network, on random symbols:
    .venv/bin/python benchmarks/2026-12-07-zen4-exact-engine/step_and_train_time.py PRESET STREAMS VOCAB"""
import time, torch, dataclasses, sys
from nncomp import presets
from nncomp.net import build
name, B, V = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = dataclasses.replace(presets.PRESETS[name], vocab=V, streams=B)
torch.set_num_threads(2)
net = build(cfg)
state = net.initial_state(B)
prev = torch.randint(0, V, (B,)); pred = torch.full((B,), V); bucket = torch.zeros(B, dtype=torch.long)
cand = torch.randint(0, V, (B, 12)); cb = torch.full((B, 12), 126)
targets = torch.randint(0, V, (20, B))
ts, tt = [], []
for r in range(6):
    t = time.perf_counter()
    for _ in range(20): net.step(prev, state, pred, bucket, (cand, cb))
    ts.append((time.perf_counter() - t) / 20 * 1e3)
    t = time.perf_counter(); net.train_block(targets); tt.append((time.perf_counter() - t) * 1e3)
print(name, B, "step ms", sorted(ts)[2], "train ms", sorted(tt)[2])
