"""The predict -> code -> train loop, one function for both directions.

The input of n symbols (bytes, or a text dictionary's symbols) is laid out as B streams coded in
lockstep (nncomp/engine/streams.py): at step t the predictor stack (nncomp/engine/stack.py)
predicts symbol t of every active stream, the coder encodes (or decodes) them, every model of
the stack observes them, and every T steps the network trains on the block just coded. The
decoder runs exactly this loop with the coder in decode mode, so both sides see the same
weights, states and probabilities.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from ..config import ModelConfig
from ..errors import CheckpointError, CorruptDataError
from ..format import coder as float_coder, rangecoder
from ..format.coder import FIRST_CHECK, next_check
from .determinism import torch_settings
from .stack import PredictorStack
from .streams import from_streams, segment_lengths, to_streams, token_buffer

# progress(done_bytes, total_bytes, bits_so_far)
Progress = Callable[[int, int, float], None]
# on_segment(snapshot): called where a coder segment ends; snapshot() returns the whole
# encoder state there, for `resume` (see nncomp/checkpoint.py).
SegmentHook = Callable[[Callable[[], dict]], None]


@dataclass
class RunStats:
    n: int
    bits: float  # sum of -log2 p over the coded symbols: the model's cross-entropy
    seconds: float
    updates: int
    network: Optional[dict] = None  # the exact network at the end, where a warm frame may follow


@dataclass
class Hooks:
    """What a caller may watch: progress, the coder's segment ends (checkpoints) and, in
    `timings`, seconds per phase: predict / code / match / bookkeeping / train
    (scripts/profile_engine.py)."""
    progress: Optional[Progress] = None
    on_segment: Optional[SegmentHook] = None
    timings: Optional[dict] = None


def cuda_graphs() -> bool:
    """On a GPU each step replays a CUDA graph (nncomp/net/graphed.py) unless
    NNCOMP_CUDA_GRAPHS=0: the same floats either way, so this is a speed switch, not part of
    the format."""
    return os.environ.get("NNCOMP_CUDA_GRAPHS", "1") != "0"


Encoder = float_coder.Encoder | rangecoder.Encoder
Decoder = float_coder.Decoder | rangecoder.Decoder


def run(cfg: ModelConfig, n: int, coder: Encoder | Decoder, tok: np.ndarray, threads: int,
        device: str = "cpu", hooks: Hooks = Hooks(), resume: Optional[dict] = None,
        max_bits: float = math.inf, warm: Optional[dict] = None) -> RunStats:
    """Code n symbols held (encoder) or to be written (decoder) in tok [L+1, B].

    On a GPU the network runs there; the token buffer, the integer models and the coder stay on
    the CPU, and each step moves B symbols up and B×V probabilities down.

    max_bits bounds the information decoded so far (Σ min(-log2 p, 24)): a decoder fed a
    damaged or lying archive stops as soon as it has read more than its payload can hold,
    instead of decoding garbage for as long as the header claims.

    warm: the network a warm frame starts from (RunStats.network of an earlier run); with
    cfg.warm the stats return this run's network at its end.
    """
    B, T = cfg.streams, cfg.bptt
    lens = segment_lengths(n, B)
    L = int(lens.max(initial=0))
    active = np.searchsorted(-lens, -np.arange(L), side="left")  # streams with len > t
    t0 = time.perf_counter()
    ctr: dict = {"t": 0, "bits": 0.0, "capped": 0.0, "coded": 0, "next_check": FIRST_CHECK,
                 "seg_start": 0}  # the loop's counters, saved in a snapshot
    dev = torch.device(device)
    with torch_settings(threads):
        if resume is not None:
            ctr.update(_counters(resume, ctr, L, T, n))
        stack = PredictorStack(cfg, tok, n, dev, cuda_graphs(), resume, warm)
        clock = _Clock(hooks.timings, dev)
        last_report = t0
        for t in range(ctr["t"], L):
            k = int(active[t])
            probs = stack.predict(t, k)  # [k, V]
            clock("predict")
            sym = coder.code(tok[t + 1, :k], probs)
            tok[t + 1, :k] = sym
            clock("code")
            stack.observe(t + 1, k, sym)
            clock("match")
            _count(ctr, coder, probs, sym, k, max_bits)
            clock("bookkeeping")
            if (t + 1) % T == 0 and t + 1 < L:
                stack.train(t)
                clock("train")
                if ctr["coded"] - ctr["seg_start"] >= cfg.coder_segment:
                    coder.next_segment()
                    ctr["seg_start"], ctr["t"] = ctr["coded"], t + 1
                    if hooks.on_segment is not None and not isinstance(
                            coder, float_coder.SegmentedDecoder):
                        hooks.on_segment(lambda: {"counters": dict(ctr), **stack.snapshot(),
                                                  "sealed": coder.sealed()})
            if hooks.progress is not None and (t + 1 == L or time.perf_counter() - last_report > 0.25):
                last_report = time.perf_counter()
                hooks.progress(int(np.minimum(lens, t + 1).sum()), n, ctr["bits"])
    network = stack.warm_network() if cfg.warm else None
    return RunStats(n=n, bits=ctr["bits"], seconds=time.perf_counter() - t0,
                    updates=stack.updates, network=network)


def _counters(resume: dict, fresh: dict, L: int, T: int, n: int) -> dict:
    """A checkpoint's loop counters, checked: the names the loop keeps, a row where a coder
    segment ended (a multiple of T within the run), no more coded than the input holds."""
    c = resume.get("counters")
    if not isinstance(c, dict) or set(c) != set(fresh) or not isinstance(resume.get("sealed"), bytes):
        raise CheckpointError("checkpoint: the engine's counters are malformed")
    ints = ("t", "coded", "next_check", "seg_start")
    if any(type(c[k]) is not int or c[k] < 0 for k in ints) or any(
            type(c[k]) is not float or not 0 <= c[k] < math.inf for k in ("bits", "capped")):
        raise CheckpointError("checkpoint: the engine's counters are out of range")
    if c["t"] % T or c["t"] >= max(L, 1) or c["coded"] > n or c["seg_start"] != c["coded"] \
            or c["next_check"] < FIRST_CHECK:
        raise CheckpointError("checkpoint: the engine's counters are past this input")
    return c


def _count(ctr: dict, coder: Encoder | Decoder, probs: np.ndarray, sym: np.ndarray, k: int,
           max_bits: float) -> None:
    """Add a step's cost to the counters; code a check word when one is due; stop a decoder
    that has read more information than its payload holds."""
    cost = -np.log2(np.maximum(probs[np.arange(k), sym].astype(np.float64), 2.0**-126))
    ctr["bits"] += float(cost.sum())
    ctr["capped"] += float(np.minimum(cost, 24.0).sum())
    ctr["coded"] += k
    if ctr["coded"] >= ctr["next_check"]:
        coder.check()
        ctr["next_check"] = next_check(ctr["next_check"])
    if ctr["capped"] > max_bits:
        raise CorruptDataError("the archive decodes to more information than its payload "
                               "holds: it is damaged")


class _Clock:
    """Charges the time since its last call to a named phase; free when timings is None.
    On a GPU it waits for the queued work first, so that work is charged to its own phase."""

    def __init__(self, timings: Optional[dict], dev: torch.device):
        self.timings, self.last = timings, time.perf_counter()
        self.sync = timings is not None and dev.type == "cuda"

    def __call__(self, phase: str) -> None:
        if self.timings is not None:
            if self.sync:
                torch.cuda.synchronize()
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
            self.last = now


def _coder(cfg: ModelConfig):
    """The coder module of cfg's engine: the exact engine's integer range coder, or
    constriction's for the float engine."""
    return rangecoder if cfg.exact else float_coder


def encode(data: bytes | np.ndarray, cfg: ModelConfig, threads: int, device: str = "cpu",
           hooks: Hooks = Hooks(), resume: Optional[dict] = None,
           warm: Optional[dict] = None) -> tuple[bytes, RunStats]:
    """Code bytes, or an array of symbols < cfg.vocab."""
    coder = _coder(cfg).Encoder(resume["sealed"] if resume else b"")
    tok = to_streams(data, cfg.streams, cfg.vocab)
    stats = run(cfg, len(data), coder, tok, threads, device, hooks, resume, warm=warm)
    return coder.finish(), stats


def decode(payload: bytes, n: int, cfg: ModelConfig, threads: int, device: str = "cpu",
           hooks: Hooks = Hooks(), warm: Optional[dict] = None) -> tuple[np.ndarray, RunStats]:
    """The n symbols coded in payload."""
    coder = _coder(cfg).Decoder(payload)
    tok = token_buffer(n, cfg.streams, cfg.vocab)
    # constriction's quantised probabilities are within a few % of the float ones in cost.
    max_bits = 1.05 * 8 * len(payload) + 4096
    stats = run(cfg, n, coder, tok, threads, device, hooks, max_bits=max_bits, warm=warm)
    coder.finish()
    return from_streams(tok, n), stats
