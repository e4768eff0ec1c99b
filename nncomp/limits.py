"""What decoding a model frame will cost, computed from its header before anything is allocated
or run, and the limits it is checked against (like xz's --memlimit-decompress).

A header is data: checksums prove it arrived as written, not that its writer was honest. A
well-formed header can ask for a network of 62 M parameters trained on every symbol (hours of
work before the first check word could fail), or for 10^9 symbols of buffers behind a 3 kB
payload. So a decoder refuses, with a LimitError naming the part, a frame whose

- memory (model, optimizer, the streams' token and feature buffers, the context tables, the
  output) exceeds `memlimit` (default: NNCOMP_MEMLIMIT, else a quarter of physical memory and
  at least 1 GiB), or whose
- arithmetic per coded symbol (a step, its share of training and of each Adam update) exceeds
  `max_work` FLOP (default 5·10^8: ~7× preset max's on one stream, so a lying frame's first
  check word, after 1,024 symbols, comes within about half a minute at worst).

The total work is bounded by the payload in another way: every symbol costs at least
MIN_BITS_PER_SYMBOL of payload (the container refuses a longer claim) and check words, coded
after 1,024 symbols and then at doubling intervals, stop a frame that lies about its content.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .config import CTX_BUCKETS, CTX_MAX_BITS, ModelConfig, ctx_table_bits, ctx_table_rows
from .errors import LimitError
from .system.machine import available_cores
from .system.sizes import parse_size

MIN_MEMLIMIT = 1 << 30
RUNTIME = 400 << 20  # the interpreter, torch and numba loaded: ~0.3-0.4 GiB before any model
DEFAULT_MAX_WORK = 5e8  # FLOP per coded symbol


def max_threads() -> int:
    """The most torch threads an archive may ask a decoder for: 4 per available core, at least
    16 (an archive written with -T 16 decodes on a laptop, slower; 256 on 2 cores would crawl)."""
    return max(16, 4 * available_cores())


def physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 * MIN_MEMLIMIT


def default_memlimit() -> int:
    """NNCOMP_MEMLIMIT (a size such as 4Gi, or a share of physical memory such as 50%), else a
    quarter of physical memory, at least MIN_MEMLIMIT."""
    env = os.environ.get("NNCOMP_MEMLIMIT", "").strip()
    if env:
        return parse_memlimit(env)
    return max(MIN_MEMLIMIT, physical_memory() // 4)


def parse_memlimit(text: str) -> int:
    """A size (system/sizes.py) or a percentage of physical memory; ValueError otherwise."""
    if text.endswith("%"):
        share = float(text[:-1])
        if not 0 < share <= 100:
            raise ValueError(f"{text!r}: a share of memory is between 0 and 100 %")
        return int(physical_memory() * share / 100)
    return parse_size(text)


@dataclass(frozen=True)
class Cost:
    """What decoding a model frame needs: bytes by part, FLOP per coded symbol."""
    memory: dict[str, int]
    work_per_symbol: float

    @property
    def total_memory(self) -> int:
        return sum(self.memory.values())


def cost(cfg: ModelConfig, symbols: int, length: int) -> Cost:
    """The cost of decoding `symbols` symbols into `length` bytes with config cfg (a frame's)."""
    B, T, V, E, H, L = cfg.streams, cfg.bptt, cfg.vocab, cfg.embed, cfg.hidden, cfg.layers
    rows = -(-max(symbols, 1) // B) + 1  # the token buffer's [L+1, B]
    P = cfg.n_params()
    mem = {
        "runtime": RUNTIME,
        # weights, gradients, Adam's two moments, the stepwise copy, autocast's copies (float32);
        # the exact engine's are float64, with Adam's temporaries
        "model": 8 * 8 * P if cfg.exact else 6 * 4 * P,
        "tokens": rows * B * (1 if V <= 256 else 2),
        # the decoded symbols in input order, their bytes and a copy
        "output": 2 * length + symbols * (1 if V <= 256 else 2),
    }
    # Context tables (nncomp/models/context.py): a row per symbol for order 1 and 2^bits rows
    # for each higher order, by this frame's length, or its predecessor's (any up to 2^20)
    # where a warm frame starts from that one's statistics; a row is ctx_slot symbols (uint16)
    # and counts (uint8), and a tag.
    ctx_bits = CTX_MAX_BITS if cfg.warm_context else ctx_table_bits(symbols, V)
    ctx_rows = ctx_table_rows(cfg.context, V, ctx_bits) if cfg.context else 0
    ctx_tables = ctx_rows * (3 * cfg.ctx_slot + 2)
    if cfg.warm:  # the networks (weights, Adam's moments) of the W frames before, kept for chains
        mem["warm chains"] = cfg.warm * (3 * 8 * P + (ctx_tables if cfg.warm_context else 0))
    F = L * H if cfg.arch == "lstm" else H
    if cfg.arch == "lstm":
        # per training block: gates and states of every layer, with their gradients
        mem["training"] = 4 * T * B * (E + L * (E + 12 * H) + F) * 3
    else:
        R = cfg.memory + T
        mem["rings"] = 2 * L * B * R * H * 4
        mem["training"] = 4 * T * B * L * (16 * H + cfg.heads * (cfg.memory + T)) * 3
    mem["probabilities"] = 4 * B * V * (4 + (T if cfg.reuse_probs else 0)) + 4 * 3 * T * B * V
    if cfg.exact:  # float64: the step's records of a block (inputs, gates, states), p and its gradient
        mem["training"] = 8 * T * B * (L * (E + 11 * H) + L * H) * 2
        mem["probabilities"] = 8 * B * V * (4 + 3 * T)
    if cfg.match:
        bits = min(22, max(10, (2 * max(symbols, 1) - 1).bit_length()))
        mem["match"] = 8 * (1 << bits) + 5 * rows * B + 24 * B
    if cfg.context:
        mem["context"] = ctx_tables + 2 * 8 * (T + 2) * B * cfg.context * cfg.ctx_top
    step = 2 * P  # a step: every weight once, multiply and add
    if cfg.arch == "transformer":
        step += 4 * L * cfg.memory * H  # attention over the memory
    train = 3 * step  # forward and backward over the block, per symbol
    update = 20 * P / (B * T)  # clipping and Adam over every weight, shared by a block's symbols
    if cfg.context:
        step += 2 * cfg.context * cfg.ctx_top * (CTX_BUCKETS + 2)
    return Cost(mem, step + train + update)


def check(cfg: ModelConfig, symbols: int, length: int, memlimit: int, max_work: float) -> None:
    """LimitError naming what exceeds a limit; nothing is allocated before this passes."""
    c = cost(cfg, symbols, length)
    if c.work_per_symbol > max_work:
        raise LimitError(
            f"the archive's model needs {c.work_per_symbol:.3g} FLOP per symbol (hidden "
            f"{cfg.hidden}, layers {cfg.layers}, streams {cfg.streams}, bptt {cfg.bptt}), over "
            f"the limit of {max_work:.3g}")
    if c.total_memory > memlimit:
        part = max(c.memory, key=lambda k: c.memory[k])
        raise LimitError(
            f"decoding this frame needs about {c.total_memory / 2**20:,.0f} MiB (most for "
            f"{part}: {c.memory[part] / 2**20:,.0f} MiB; {symbols:,} symbols, {cfg.streams} "
            f"streams, vocab {cfg.vocab}), over the memory limit of {memlimit / 2**20:,.0f} "
            "MiB (--memlimit, NNCOMP_MEMLIMIT)")
