"""The predict -> code -> train loop, one function for both directions.

The input of n bytes is cut into B contiguous segments (the first n % B one byte longer) that
are coded in lockstep: at step t the model predicts byte t of every active segment from byte
t-1, the coder encodes (or decodes) them, and every T steps the model trains on the block it
has just coded. The decoder runs exactly this loop with the coder in decode mode, so both
sides see the same weights, states and probabilities.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from .coder import Decoder, Encoder
from .determinism import torch_settings
from .errors import CorruptDataError
from .match import MatchModel
from .model import LSTMConfig, LSTMPredictor

# progress(done_bytes, total_bytes, bits_so_far)
Progress = Callable[[int, int, float], None]


@dataclass
class RunStats:
    n: int
    bits: float  # sum of -log2 p over the coded symbols: the model's cross-entropy
    seconds: float
    updates: int


def segment_lengths(n: int, B: int) -> np.ndarray:
    """Balanced split: non-increasing lengths, so the active streams are always a prefix."""
    base, extra = divmod(n, B)
    return np.array([base + (i < extra) for i in range(B)], dtype=np.int64)


def to_streams(data: bytes, B: int) -> np.ndarray:
    """Token buffer [L+1, B]: row 0 is the start symbol, row t+1 is byte t of each segment."""
    lens = segment_lengths(len(data), B)
    tok = np.zeros((int(lens.max(initial=0)) + 1, B), dtype=np.uint8)
    src = np.frombuffer(data, dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    for i in range(B):
        tok[1:lens[i] + 1, i] = src[starts[i]:starts[i] + lens[i]]
    return tok


def from_streams(tok: np.ndarray, n: int) -> bytes:
    lens = segment_lengths(n, tok.shape[1])
    return b"".join(tok[1:lens[i] + 1, i].tobytes() for i in range(tok.shape[1]))


def run(cfg: LSTMConfig, n: int, coder: Encoder | Decoder, tok: np.ndarray, threads: int,
        progress: Optional[Progress] = None, max_bits: float = math.inf) -> RunStats:
    """Code n bytes held (encoder) or to be written (decoder) in tok [L+1, B].

    max_bits bounds the information decoded so far (Σ min(-log2 p, 24)): a decoder fed a
    damaged or lying archive stops as soon as it has read more than its payload can hold,
    instead of decoding garbage for as long as the header claims.
    """
    B, T = cfg.streams, cfg.bptt
    lens = segment_lengths(n, B)
    L = int(lens.max(initial=0))
    active = np.searchsorted(-lens, -np.arange(L), side="left")  # streams with len > t
    t0 = time.perf_counter()
    bits = capped = 0.0
    with torch_settings(threads):
        model = LSTMPredictor(cfg)
        tok_t = torch.from_numpy(tok)  # shares memory: decoded rows appear here too
        state = model.initial_state(B)
        block_state = [(h.clone(), c.clone()) for h, c in state]
        mm = MatchModel(tok, n) if cfg.match else None

        def features(a: int, b: int) -> tuple:
            """Match features of rows [a, b) (the inputs predicting those rows), [b-a, B]."""
            if mm is None:
                return None, None
            return torch.from_numpy(mm.pred[a:b]).long(), torch.from_numpy(mm.bucket[a:b]).long()

        last_report = t0
        for t in range(L):
            k = int(active[t])
            pred, bucket = features(t + 1, t + 2)
            if mm is not None:
                pred, bucket = pred[0], bucket[0]
            probs = model.step(tok_t[t].long(), state, pred, bucket)[:k].numpy()  # [k, V]
            sym = coder.code(tok[t + 1, :k], probs)
            tok[t + 1, :k] = sym
            if mm is not None:
                mm.update(t + 1, k)
            cost = -np.log2(np.maximum(probs[np.arange(k), sym].astype(np.float64), 2.0**-126))
            bits += float(cost.sum())
            capped += float(np.minimum(cost, 24.0).sum())
            if capped > max_bits:
                raise CorruptDataError("the archive decodes to more information than its payload "
                                       "holds: it is damaged")
            if (t + 1) % T == 0 and t + 1 < L:
                blk = tok_t[t + 1 - T:t + 2].long()  # [T+1, B]
                model.train_block(blk[:-1], blk[1:], block_state, *features(t + 2 - T, t + 2))
                block_state = [(h.clone(), c.clone()) for h, c in state]
            if progress is not None and (t + 1 == L or time.perf_counter() - last_report > 0.25):
                last_report = time.perf_counter()
                progress(int(np.minimum(lens, t + 1).sum()), n, bits)
        updates = model.updates
    return RunStats(n=n, bits=bits, seconds=time.perf_counter() - t0, updates=updates)


def encode(data: bytes, cfg: LSTMConfig, threads: int,
           progress: Optional[Progress] = None) -> tuple[bytes, RunStats]:
    coder = Encoder()
    stats = run(cfg, len(data), coder, to_streams(data, cfg.streams), threads, progress)
    return coder.finish(), stats


def decode(payload: bytes, n: int, cfg: LSTMConfig, threads: int,
           progress: Optional[Progress] = None) -> tuple[bytes, RunStats]:
    coder = Decoder(payload)
    tok = np.zeros((int(segment_lengths(n, cfg.streams).max(initial=0)) + 1, cfg.streams), np.uint8)
    # constriction's quantised probabilities are within a few % of the float ones in cost.
    max_bits = 1.05 * 8 * len(payload) + 4096
    stats = run(cfg, n, coder, tok, threads, progress, max_bits)
    return from_streams(tok, n), stats
