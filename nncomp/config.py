"""The model config: what a header stores about the network and its training, and the checks a
header's config passes before anything is allocated.

Apart from the networks (nncomp/net/) so that reading a header (`nncomp -l`, `info`, an archive
of LZMA frames) never imports torch, which costs ~2 s per process.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any


# The widths of the match and context features, which size the network's inputs: copies of
# models.match.BUCKETS and models.context.BUCKETS (tests/test_config.py checks), so that reading a config never
# imports numba (~0.25 s per process). The originals stay beside the numba code that reads them:
# a cached numba function keeps the value a global had when it was compiled, and its cache is
# invalidated only by a change to its own file.
MATCH_BUCKETS = 8
CTX_BUCKETS = 42

DTYPES = ("float32", "bfloat16")  # names: nncomp/net/base.py maps them to torch dtypes

# The exact engine's largest GEMM operands (nncomp/net/fixed.py): weights |w| <= 8 on a 2^-16
# grid, inputs |x| <= 8 on a 2^-15 grid, gradients scaled to at most 2^16. Every partial sum of
# K such products must stay an integer below 2^53 (docs/FORMAT.md, "Exact engine").
EXACT_W_INT, EXACT_X_INT, EXACT_G_INT = 8 << 16, 8 << 15, 1 << 16


def exact_sums_fit(K: int, N: int, V: int) -> bool:
    """Whether the exact engine's GEMMs stay exact: K inputs of a cell or the head, N = bptt ×
    streams rows of a training block, V output symbols."""
    worst = max(K * EXACT_W_INT * EXACT_X_INT,  # forward products
                N * EXACT_G_INT * EXACT_X_INT,  # weight gradients
                max(V, 4 * K) * EXACT_G_INT * EXACT_W_INT)  # input gradients
    return worst < 2**53

CTX_MAX_BITS = 20  # at most 2^20 rows per hashed order of context statistics


def ctx_table_bits(symbols: int, vocab: int) -> int:
    """log2 of the rows of each context-statistics order above 1 (nncomp/models/context.py)
    for a frame of `symbols` symbols of a `vocab`-symbol alphabet."""
    return min(CTX_MAX_BITS, max(16, (max(symbols, 1) - 1).bit_length(), (vocab - 1).bit_length()))


def ctx_table_rows(orders: int, vocab: int, bits: int) -> int:
    """Rows of the context tables: one per symbol for order 1, 2^bits for each higher order."""
    return vocab + (orders - 1) * (1 << bits)


# Bounds a header is checked against before anything is allocated (docs/FORMAT.md).
BOUNDS = {
    "vocab": (256, 65536),
    "text_vocab": (0, 65536),
    "embed": (1, 4096),
    "hidden": (1, 4096),
    "layers": (1, 16),
    "streams": (1, 4096),
    "bptt": (1, 4096),
    "coder_segment": (1, 2**62),
    "warmup": (0, 10**9),
    "seed": (0, 2**63 - 1),
    "context": (0, 6),
    "ctx_top": (1, 64),
    "ctx_slot": (1, 128),
    "heads": (0, 64),
    "memory": (0, 65536),
    "float32_below": (0, 4096),
    "lr_below": (0, 4096),
    "warm": (0, 4096),
}


# Fields added after archives were written without them: absent means this value.
OPTIONAL = {"text_vocab": 0, "train_head_dtype": "", "context": 0, "arch": "lstm", "heads": 0,
            "memory": 0, "float32_below": 0, "lr_end": 0.0, "text_case": False,
            "sse": False, "lr_below": 0, "lr_few": 0.0, "reuse_probs": False, "exact": False,
            "warm": 0, "warm_context": False, "ctx_top": 4, "ctx_slot": 8}
ARCHS = ("lstm", "transformer")


@dataclass(frozen=True)
class ModelConfig:
    """The model and its training, as a frame's header stores it. `arch` picks the network:
    "lstm" (nncomp/net/lstm.py) or "transformer" (nncomp/net/transformer.py: width `hidden` =
    `embed`, `heads`, `memory`).

    A preset is a recipe of this type: `streams` 0 and the selection fields (`max_streams`,
    `stream_len`, `float32_below`, `lr_below`, `lr_few`) say how presets.resolve() fixes the
    config that runs for one input, which is the one stored."""
    vocab: int = 256  # symbols: 256 bytes, plus the text dictionary's (set per input)
    text_vocab: int = 0  # largest vocabulary of a text dictionary (nncomp/format/tokenizer.py); 0 = bytes only
    text_case: bool = False  # fold case before learning the dictionary (tokenizer.fold_case)
    embed: int = 64  # embedding width E
    hidden: int = 256  # LSTM width H
    layers: int = 2  # stacked LSTM layers L
    streams: int = 0  # parallel segments B; 0 = chosen from the input length
    max_streams: int = 32  # upper bound when streams == 0
    stream_len: int = 250_000  # target bytes per stream when streams == 0
    bptt: int = 20  # truncated-BPTT block length T
    coder_segment: int = 1 << 20  # symbols per sealed range-coder segment: --checkpoint granularity
    lr: float = 4e-3
    warmup: int = 100  # Adam updates of linear learning-rate warm-up
    lr_end: float = 0.0  # learning rate at the run's last update, reached geometrically; 0 = lr
    lr_below: int = 0  # under this many streams the rate is a constant lr_few (presets.resolve)
    lr_few: float = 0.0  # that constant rate
    beta1: float = 0.0
    beta2: float = 0.9999
    eps: float = 1e-8
    grad_clip: float = 1.0  # max global gradient norm; 0 = off
    seed: int = 0
    match: bool = False  # feed the match model's prediction to the network (nncomp/models/match.py)
    context: int = 0  # mix in context statistics of orders 1..context (nncomp/models/context.py); 0 = none
    ctx_top: int = 4  # candidates per order handed to the network
    ctx_slot: int = 8  # symbols counted per context (ctx_top <= ctx_slot)
    sse: bool = False  # re-estimate the top symbol's probability (nncomp/models/sse.py)
    dtype: str = "float32"  # dtype of the stepwise prediction path
    train_dtype: str = "float32"  # autocast dtype of the training forward/backward
    train_head_dtype: str = ""  # autocast dtype of the head in training; "" = train_dtype
    float32_below: int = 0  # under this many streams every path runs in float32 (presets.resolve)
    reuse_probs: bool = False  # training takes its output gradient from the step's probabilities
    arch: str = "lstm"
    exact: bool = False  # exact arithmetic (nncomp/net/exact.py): decodes on any machine; engine 3
    heads: int = 0  # Transformer: attention heads
    memory: int = 0  # Transformer: positions each step attends to, itself included
    # Frames of one stream in warm chains: a frame may start from the network the frame `warm`
    # frames before it ended with (its payload says whether it does; nncomp/frame.py). 0 = cold.
    warm: int = 0
    # A warm frame also starts from the context statistics that frame ended with (their table
    # size too). False: its tables start empty (the rule of warm archives written before it).
    warm_context: bool = False

    def to_dict(self) -> dict:
        """Every field, except optional ones at their default (older archives read the same)."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in OPTIONAL or v != OPTIONAL[k]}

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        """Build a config from untrusted data (a file header), checking every field."""
        if not isinstance(d, dict):
            raise ValueError("model config is not an object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(d) - set(fields)
        if unknown:
            raise ValueError(f"unknown model config fields: {sorted(unknown)}")
        missing = set(fields) - set(d) - set(OPTIONAL)
        if missing:
            raise ValueError(f"missing model config fields: {sorted(missing)}")
        d = {**OPTIONAL, **d}
        for name, f in fields.items():
            v = d[name]
            if f.type == "int" and (type(v) is not int):
                raise ValueError(f"config field {name} must be an integer")
            if f.type == "float" and (type(v) not in (int, float) or not math.isfinite(v)):
                raise ValueError(f"config field {name} must be a finite number")
            if f.type == "str" and type(v) is not str:
                raise ValueError(f"config field {name} must be a string")
            if f.type == "bool" and type(v) is not bool:
                raise ValueError(f"config field {name} must be true or false")
        checked: dict[str, Any] = {k: float(v) if fields[k].type == "float" else v for k, v in d.items()}
        cfg = cls(**checked)
        cfg.check()
        return cfg

    def check(self) -> None:
        for name, (lo, hi) in BOUNDS.items():
            v = getattr(self, name)
            if name == "streams" and v == 0:
                continue
            if not lo <= v <= hi:
                raise ValueError(f"config field {name}={v} outside [{lo}, {hi}]")
        if not 1 <= self.max_streams <= BOUNDS["streams"][1] or self.stream_len < 1:
            raise ValueError("stream selection fields out of range")
        if not (0 < self.lr <= 1 and 0 <= self.lr_end <= 1 and 0 <= self.beta1 < 1
                and 0 <= self.beta2 < 1 and 0 <= self.lr_few <= 1
                and (self.lr_few > 0 or not self.lr_below)):
            raise ValueError("optimizer fields out of range")
        if not 0 < self.eps < 1 or not 0 <= self.grad_clip <= 1e6:
            raise ValueError("optimizer fields out of range")
        if self.arch not in ARCHS:
            raise ValueError(f"arch {self.arch!r} not one of {ARCHS}")
        if self.arch == "transformer":
            if not self.heads or self.hidden % self.heads or (self.hidden // self.heads) % 2:
                raise ValueError("a Transformer needs heads >= 1 of an even width hidden / heads")
            if self.embed != self.hidden or not self.memory:
                raise ValueError("a Transformer needs embed == hidden and memory >= 1")
        if self.exact and (self.arch != "lstm" or self.dtypes() != ("float32",) * 3):
            raise ValueError("the exact engine runs the LSTM, with float32 named as its dtypes")
        if self.warm and not self.exact:
            raise ValueError("warm chains need the exact engine")
        if self.ctx_top > self.ctx_slot:
            raise ValueError("ctx_top must be at most ctx_slot")
        if self.warm_context and not (self.warm and self.context):
            raise ValueError("warm_context needs warm chains and context statistics")
        if self.exact and self.streams and not all(exact_sums_fit(*s) for s in self.exact_shapes()):
            raise ValueError("the exact engine cannot hold these shapes' sums exactly")
        for dt in self.dtypes():
            if dt not in DTYPES:
                raise ValueError(f"dtype {dt!r} not one of {DTYPES}")
        # The parameter count bounds memory: refuse models far beyond any preset.
        if self.n_params() > 2_000_000_000:
            raise ValueError(f"model of {self.n_params()} parameters is too large")

    def n_params(self) -> int:
        E, H, L, V = self.embed, self.hidden, self.layers, self.vocab
        if self.arch == "transformer":  # per layer: 2 norms, qkv, projection, GEGLU in and out
            core, F_ = L * (4 * H + 3 * H * H + H * H + 4 * H * H + 2 * H * H) + 2 * H, H
        else:
            bias = 1 if self.exact else 2  # the exact cell has one bias vector, nn.LSTM two
            core, F_ = sum(4 * H * ((E if i == 0 else E + H) + H + bias) for i in range(L)), L * H
        match = (V + 1 + MATCH_BUCKETS) * E + MATCH_BUCKETS if self.match else 0
        context = self.context * (CTX_BUCKETS + F_ + 1)
        return V * E + core + (F_ + 1) * V + match + context

    def exact_shapes(self) -> list[tuple[int, int, int]]:
        """(K, N, V) of the exact engine's widest GEMMs (exact_sums_fit): a cell's inputs with
        its own state (the embedding, the layer below's h), then the head's; N = bptt × streams."""
        N = self.bptt * max(self.streams, 1)
        return [(self.embed + self.hidden * min(self.layers, 2), N, self.vocab),
                (self.layers * self.hidden, N, self.vocab)]

    def dtypes(self) -> tuple[str, ...]:
        """Every dtype the config computes in."""
        return (self.dtype, self.train_dtype, self.train_head_dtype or self.train_dtype)


LSTMConfig = ModelConfig  # its name before the Transformer configured through it too
