#!/usr/bin/env python3
"""Where the time goes: symbols/s, the split between predict / code / match / train, and the
model's FLOP rate against a GEMM peak measured in the same run (issue: ratio and speed).

    .venv/bin/python scripts/profile_engine.py [--preset fast] [--bytes 200000] [--device cuda]
        [--set hidden=1024 --set lr=0.002 ...] [--decode] [FILE]

--decode also decodes what was encoded (checked against the input) and prints the decoder's
split beside the encoder's: the two directions run one loop, so a gap between them is the
coder's or the memory's, and this says which phase holds it.

FLOPs counted: 2 per multiply-add of the stepwise LSTM cells or Transformer blocks and the head
(predict), and 3x the forward count for a training block (forward + backward). Embedding
lookups, softmax and Adam are not counted, so the utilisation shown is an upper bound on
useful arithmetic.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nncomp import frame, presets  # noqa: E402
from nncomp.engine import determinism  # noqa: E402
from nncomp.engine import loop as engine  # noqa: E402
from nncomp.system.malloc import keep_freed_memory  # noqa: E402


def gemm_peak(threads: int, dtype: torch.dtype, device: str = "cpu", reps: int = 10) -> float:
    """GFLOP/s of a square matmul on this machine, same thread count as the run."""
    n = 2048 if device == "cpu" else 8192
    with determinism.torch_settings(threads):
        a, b = (torch.randn(n, n, dtype=dtype, device=device) for _ in range(2))
        torch.mm(a, b)
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b)
        _sync(device)
        return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _progress(n_bytes: int, every: float = 15.0):
    """Progress on stderr every `every` seconds: a long run killed early still says something."""
    t0, last = time.perf_counter(), [time.perf_counter()]

    def report(done: int, total: int, bits: float) -> None:
        now = time.perf_counter()
        if now - last[0] >= every or done == total:
            last[0] = now
            done_bytes = done * n_bytes // max(total, 1)
            print(f"  .. {done_bytes:,} bytes in {now - t0:.0f} s = "
                  f"{done_bytes / (now - t0) / 1e3:.1f} kB/s, {bits / max(done_bytes, 1):.3f} "
                  "bits/byte so far", file=sys.stderr, flush=True)
    return report


def override(cfg, assignments: list[str]):
    """cfg with KEY=VALUE fields replaced (typed like the field)."""
    types = {f.name: f.type for f in dataclasses.fields(cfg)}
    changes = {}
    for a in assignments:
        key, _, value = a.partition("=")
        if key not in types:
            raise SystemExit(f"--set: no config field {key!r}")
        kind = types[key]
        changes[key] = (value.lower() in ("1", "true", "yes") if kind == "bool"
                        else int(value) if kind == "int" else float(value) if kind == "float" else value)
    return dataclasses.replace(cfg, **changes)


def step_flops(cfg) -> int:
    """FLOPs to predict one symbol of one stream with the stepwise path."""
    E, H, L, V = cfg.embed, cfg.hidden, cfg.layers, cfg.vocab
    if cfg.arch == "transformer":  # qkv, projection, GEGLU in and out; scores and sum over memory
        return 2 * (L * (10 * H * H + 2 * cfg.memory * H) + H * V)
    cells = sum(4 * H * ((E if i == 0 else E + H) + H) for i in range(L))
    return 2 * (cells + L * H * V)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", default=str(ROOT / "corpora" / "alice29.txt"))
    ap.add_argument("--preset", default="fast", choices=list(presets.PRESETS))
    ap.add_argument("--bytes", type=int, default=200_000, help="profile the first N bytes")
    ap.add_argument("--threads", type=int, default=determinism.default_threads())
    ap.add_argument("--streams", type=int, default=0, help="force B (default: the preset's choice)")
    ap.add_argument("--text-vocab", type=int, help="override the preset's text dictionary size (0: bytes)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--decode", action="store_true", help="decode too, and time its phases")
    ap.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                    help="override a config field (repeatable)")
    a = ap.parse_args()
    keep_freed_memory()  # as the nncomp command does
    data = Path(a.file).read_bytes()[:a.bytes]
    cfg = override(dataclasses.replace(presets.get(a.preset, a.device), streams=a.streams),
                   a.assignments)
    if a.text_vocab is not None:
        cfg = dataclasses.replace(cfg, text_vocab=a.text_vocab)
    t0 = time.perf_counter()
    cfg, symbols, _ = frame.prepare(data, cfg, a.device)
    timings: dict[str, float] = {"dictionary": time.perf_counter() - t0}
    t0 = time.perf_counter()
    payload, stats = engine.encode(symbols, cfg, a.threads, a.device,
                                   engine.Hooks(progress=_progress(len(data)), timings=timings))
    wall = time.perf_counter() - t0 + timings["dictionary"]
    dtimings: dict[str, float] = {}  # the decoder's phases, filled only with --decode
    if a.decode:
        t0 = time.perf_counter()
        decoded, _ = engine.decode(payload, len(symbols), cfg, a.threads, a.device,
                                   engine.Hooks(progress=_progress(len(data)), timings=dtimings))
        dwall = time.perf_counter() - t0
        # Byte-coded input (no dictionary) is bytes here, the decoder's output an array.
        expected = np.frombuffer(symbols, np.uint8) if isinstance(symbols, bytes) else symbols
        if not np.array_equal(decoded, expected):
            raise SystemExit("decode: the symbols differ from the input")
    n = len(symbols)
    flops = step_flops(cfg) * n * 4  # predict once, train 3x
    dtype = torch.float32 if a.device == "cpu" else torch.bfloat16
    peak = gemm_peak(a.threads, dtype, a.device)
    arch = f"{cfg.arch} heads={cfg.heads} M={cfg.memory} " if cfg.arch != "lstm" else ""
    print(f"input      {a.file} first {len(data):,} bytes = {n:,} symbols; preset {a.preset}: {arch}"
          f"B={cfg.streams} V={cfg.vocab} E={cfg.embed} H={cfg.hidden} L={cfg.layers} "
          f"T={cfg.bptt} lr={cfg.lr} {cfg.dtype}/{cfg.train_dtype}; "
          f"{a.threads} threads on {a.device}")
    print(f"speed      {len(data) / wall / 1e3:.1f} kB/s = {n / wall:,.0f} symbols/s "
          f"({stats.bits / len(data):.3f} bits/byte, model only)")
    print(f"steps      {-(-n // cfg.streams):,}: {wall / -(-n // cfg.streams) * 1e6:.0f} µs per step of B symbols")
    for k in ("dictionary", "predict", "code", "match", "bookkeeping", "train"):
        print(f"  {k:<11} {timings.get(k, 0.0):7.2f} s  {100 * timings.get(k, 0.0) / wall:5.1f} %"
              + (f"   decode {dtimings.get(k, 0.0):7.2f} s" if a.decode and k != "dictionary" else ""))
    rest = wall - sum(timings.values())
    print(f"  {'other':<11} {rest:7.2f} s  {100 * rest / wall:5.1f} %")
    if a.decode:
        print(f"decode     {len(data) / dwall / 1e3:.1f} kB/s ({dwall:.2f} s, the dictionary not "
              f"counted), symbols checked")
    rate = flops / wall / 1e9
    print(f"model      {flops / 1e9:.2f} GFLOP in {wall:.1f} s = {rate:.2f} GFLOP/s; "
          f"GEMM peak here {peak:.0f} GFLOP/s {str(dtype)[6:]}: {100 * rate / peak:.2f} % utilisation")


if __name__ == "__main__":
    main()
