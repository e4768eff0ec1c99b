"""Named model recipes, and resolve(): from a recipe to the config that runs and is stored.

A frame's header stores the resolved config itself, so retuning a preset never breaks old
archives. Each line of why below points at its evidence in benchmarks/ (indexed in
benchmarks/README.md); docs/HISTORY.md tells how the presets got here.
"""
from __future__ import annotations

import dataclasses
import math

from .config import ModelConfig

PRESETS: dict[str, ModelConfig] = {
    # Every preset runs the exact engine (nncomp/net/exact.py): its archives decode on any CPU or
    # GPU, with any thread count and torch release; benchmarks/2026-12-07-zen4-exact-engine.
    # For tests: milliseconds per example, many coder segments (checkpoints), every model part;
    # streams of 256 symbols, so that a few kB already run several at once (a step costs about
    # the same for 1 stream as for 8: the suite ran 589 -> 449 s against 1024).
    "test": ModelConfig(embed=8, hidden=16, layers=1, bptt=8, lr=1e-2, warmup=10, max_streams=8,
                        stream_len=256, match=True, coder_segment=1024, text_vocab=512,
                        context=2, sse=True, exact=True),
    # Speed first: a narrow LSTM on many short streams (its step is bound by per-op cost) with a
    # large falling rate; benchmarks/2026-11-28-zen4-fast-h64. Context statistics of orders 1–4,
    # 64 candidates per order out of 128 counted: benchmarks/2026-12-07-zen4-context-order4.
    "fast": ModelConfig(embed=32, hidden=64, layers=1, bptt=20, lr=3.5e-2, lr_end=2e-3,
                        lr_below=8, lr_few=5e-3, warmup=50, max_streams=96, stream_len=20_000,
                        match=True, text_vocab=1536, context=4, ctx_top=64, ctx_slot=128,
                        text_case=True, sse=True, exact=True),
    # The balance: two layers of 256 on streams of 30k symbols;
    # benchmarks/2026-11-28-zen4-default-30k. Context statistics as fast's (dickens' first 3 MB:
    # 32 of 64 candidates −2.1 %, orders 1–4 and 64 of 128 another −0.55 %, the same speed;
    # benchmarks/2026-12-07-zen4-context-candidates, 2026-12-07-zen4-context-order4).
    "default": ModelConfig(embed=64, hidden=256, layers=2, bptt=20, lr=5e-3, warmup=50,
                           max_streams=64, stream_len=30_000, match=True, text_vocab=2048,
                           context=4, ctx_top=64, ctx_slot=128, text_case=True, sse=True,
                           exact=True),
    # Ratio first: two layers of 512, at most 26 streams of 80k symbols, a falling rate;
    # benchmarks/2026-11-28-zen4-max-dickens-now, 2026-11-28-zen4-max-xml-80k. Context
    # candidates as fast's (dickens' first MB: −1.3 %; 2026-12-07-zen4-context-candidates).
    "max": ModelConfig(embed=64, hidden=512, layers=2, bptt=20, lr=4.5e-3, lr_end=7.5e-4, warmup=100,
                       max_streams=26, stream_len=80_000, match=True, text_vocab=4096,
                       context=3, ctx_top=32, ctx_slot=64, text_case=True, sse=True, exact=True),
}
DEFAULT_PRESET = "default"

# Below this many bytes a preset's network has not learnt enough to beat LZMA2 on any file
# measured, so the input is coded as LZMA2 (or stored) without running it: a fraction of a
# second, no torch; benchmarks/2026-12-07-zen4-small-inputs. "test" always runs its network.
MODEL_FROM: dict[str, int] = {"test": 0, "fast": 4096, "default": 2048, "max": 2048}
PUBLIC = ("fast", "default", "max")  # what the CLI offers; "test" is for the test suite

# What a preset changes on a GPU, where a step costs about the same whatever the number of
# streams, so max affords fewer, longer ones; benchmarks/2026-11-26-h200-cuda.
ON_CUDA: dict[str, dict] = {
    "max": {"stream_len": 300_000, "max_streams": 64},
}


def get(name: str, device: str = "cpu") -> ModelConfig:
    """The recipe preset `name` uses on `device` ('cpu', 'cuda' or 'cuda:N')."""
    try:
        cfg = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
    if device.startswith("cuda"):
        # float32 for few streams was measured on CPUs only: a GPU keeps every preset's dtypes.
        cfg = dataclasses.replace(cfg, **{"float32_below": 0, **ON_CUDA.get(name, {})})
    return cfg


def resolve(recipe: ModelConfig, symbols: int, *, vocab: int | None = None,
            text_case: bool | None = None, bf16: bool = True) -> ModelConfig:
    """The config that runs for an input of `symbols` symbols, as the header stores it.

    vocab and text_case: what the text dictionary made of the input (None: the recipe's);
    bf16: whether the device computes bfloat16 in hardware (where it does not, bf16 would not
    run, or run slower than float32). B is fixed from the input's length: few long streams learn
    faster on small inputs. Under float32_below streams every path runs in float32 (a small batch
    is bound by per-op cost, where bf16's casts cost more than its products save); under
    lr_below the rate is the constant lr_few (few streams average few gradients: large steps
    follow the noise)."""
    b = recipe.streams or max(1, min(recipe.max_streams, symbols // recipe.stream_len))
    b = max(1, min(b, symbols)) if symbols else 1
    cfg = dataclasses.replace(recipe, vocab=recipe.vocab if vocab is None else vocab,
                              text_case=recipe.text_case if text_case is None else text_case, streams=b,
                              float32_below=0, lr_below=0, lr_few=0.0)
    if b < recipe.float32_below or not bf16 or recipe.exact:
        cfg = dataclasses.replace(cfg, dtype="float32", train_dtype="float32", train_head_dtype="")
    if b < recipe.lr_below:
        cfg = dataclasses.replace(cfg, lr=recipe.lr_few, lr_end=0.0)
    return cfg


def warm_start(cfg: ModelConfig) -> ModelConfig:
    """The config of a frame that starts from another frame's network (a warm chain): no
    warm-up, and a falling rate from the middle of the schedule, (lr·lr_end)^½, not from lr: the
    network has learnt, and the full rate would first undo some of it (dickens, preset fast,
    1 MiB frames: 0.65 % smaller; benchmarks/2026-12-07-zen4-scale-out)."""
    lr = math.sqrt(cfg.lr * cfg.lr_end) if cfg.lr_end else cfg.lr
    return dataclasses.replace(cfg, lr=lr, warmup=0)
