"""The predict -> code -> train loop, one function for both directions.

The input of n symbols (bytes, or a text dictionary's symbols) is cut into B contiguous
segments (the first n % B one symbol longer) that are coded in lockstep: at step t the model
predicts symbol t of every active segment from symbol t-1 (with `sse`, nncomp/sse.py then
re-estimates each row's top symbol), the coder encodes (or decodes) them, and every T steps
the model trains on the block it has just coded. The decoder runs exactly this loop with the
coder in decode mode, so both sides see the same weights, states and probabilities.
"""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from .coder import FIRST_CHECK, Decoder, Encoder, next_check
from .context import ContextModel
from .determinism import torch_settings
from .errors import CorruptDataError
from .match import MatchModel
from .model import GraphedStep, LSTMConfig, LSTMPredictor, Predictor, build
from .sse import SecondaryEstimate

# progress(done_bytes, total_bytes, bits_so_far)
Progress = Callable[[int, int, float], None]


@dataclass
class RunStats:
    n: int
    bits: float  # sum of -log2 p over the coded symbols: the model's cross-entropy
    seconds: float
    updates: int


def cuda_graphs() -> bool:
    """On a GPU each step replays a CUDA graph (model.GraphedStep) unless NNCOMP_CUDA_GRAPHS=0:
    the same floats either way, so this is a speed switch, not part of the format."""
    return os.environ.get("NNCOMP_CUDA_GRAPHS", "1") != "0"


def segment_lengths(n: int, B: int) -> np.ndarray:
    """Balanced split: non-increasing lengths, so the active streams are always a prefix."""
    base, extra = divmod(n, B)
    return np.array([base + (i < extra) for i in range(B)], dtype=np.int64)


def symbol_dtype(vocab: int) -> type:
    return np.uint8 if vocab <= 256 else np.uint16


def token_buffer(n: int, B: int, vocab: int = 256) -> np.ndarray:
    """[L+1, B] zeros: row 0 is the start symbol, row t+1 will hold symbol t of each segment."""
    return np.zeros((int(segment_lengths(n, B).max(initial=0)) + 1, B), symbol_dtype(vocab))


def to_streams(data: bytes | np.ndarray, B: int, vocab: int = 256) -> np.ndarray:
    """The token buffer holding data's symbols."""
    src = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    lens = segment_lengths(len(src), B)
    tok = token_buffer(len(src), B, vocab)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    for i in range(B):
        tok[1:lens[i] + 1, i] = src[starts[i]:starts[i] + lens[i]]
    return tok


def from_streams(tok: np.ndarray, n: int) -> np.ndarray:
    """The n symbols held in a token buffer, in input order."""
    lens = segment_lengths(n, tok.shape[1])
    return np.concatenate([tok[1:lens[i] + 1, i] for i in range(tok.shape[1])])


# on_segment(snapshot): called where a coder segment ends; snapshot() returns the whole
# encoder state there, for `resume` (see nncomp/checkpoint.py).
SegmentHook = Callable[[Callable[[], dict]], None]


def run(cfg: LSTMConfig, n: int, coder: Encoder | Decoder, tok: np.ndarray, threads: int,
        progress: Optional[Progress] = None, max_bits: float = math.inf,
        on_segment: Optional[SegmentHook] = None, resume: Optional[dict] = None,
        timings: Optional[dict] = None, device: str = "cpu") -> RunStats:
    """Code n symbols held (encoder) or to be written (decoder) in tok [L+1, B].

    On a GPU the model runs there; the token buffer, the match model and the coder stay on the
    CPU, and each step moves B symbols up and B×V probabilities down.

    timings, when given, accumulates seconds spent in predict / code / match / bookkeeping / train
    (scripts/profile_engine.py).

    max_bits bounds the information decoded so far (Σ min(-log2 p, 24)): a decoder fed a
    damaged or lying archive stops as soon as it has read more than its payload can hold,
    instead of decoding garbage for as long as the header claims.
    """
    B, T = cfg.streams, cfg.bptt
    lens = segment_lengths(n, B)
    L = int(lens.max(initial=0))
    active = np.searchsorted(-lens, -np.arange(L), side="left")  # streams with len > t
    t0 = time.perf_counter()
    ctr = {"t": 0, "bits": 0.0, "capped": 0.0, "coded": 0, "next_check": FIRST_CHECK,
         "seg_start": 0}  # the loop's counters, saved in a snapshot
    dev = torch.device(device)
    with torch_settings(threads):
        model = build(cfg, dev)
        model.set_run_length((L - 1) // T if L else 0)  # blocks trained: at t + 1 = T, 2T, ... < L
        tok_t = torch.from_numpy(tok)  # shares memory: decoded rows appear here too
        state = model.initial_state(B)
        mm = MatchModel(tok, n, cfg.vocab) if cfg.match else None
        # The context features of a training block's rows and of the next row are kept.
        cm = ContextModel(tok, n, cfg.vocab, cfg.context, T + 2) if cfg.context else None
        sse = SecondaryEstimate(B) if cfg.sse else None
        if resume is not None:
            ctr.update(resume["counters"])
            state = _restore(resume, model, mm, cm, sse, dev)
        graphed = None
        if dev.type == "cuda" and cuda_graphs() and isinstance(model, LSTMPredictor):
            graphed = GraphedStep(model, state)
            state = graphed.state  # the graph's own buffers, updated in place by each step
        block_state = model.block_start(state)
        # With reuse_probs, the step's own output for each row of the block, for training.
        block_probs = torch.empty(T, B, cfg.vocab, device=dev) if cfg.reuse_probs else None

        def feature_arrays(rows: int | slice) -> list[np.ndarray]:
            """The features predicting a row [B] or rows [R, B] that the config uses: the match
            model's (pred, bucket), then the context candidates and buckets ([..., K] each)."""
            out = [mm.pred[rows], mm.bucket[rows]] if mm is not None else []
            return out + list(cm.features(rows)) if cm is not None else out

        def features(rows: int | slice) -> tuple:
            """(pred, bucket, ctx) as the model takes them, on its device."""
            a = [torch.from_numpy(x).long().to(dev) for x in feature_arrays(rows)]
            pred, bucket = (a[0], a[1]) if mm is not None else (None, None)
            return pred, bucket, (a[-2], a[-1]) if cm is not None else None

        clock = _Clock(timings, dev)
        last_report = t0
        for t in range(ctr["t"], L):
            k = int(active[t])
            if graphed is not None:
                probs = graphed([tok[t], *feature_arrays(t + 1)], k).numpy()  # [k, V]
                out = graphed.probs  # [B, V]
            else:
                prev = tok_t[t].long().to(dev)  # [B]
                out = model.step(prev, state, *features(t + 1))  # [B, V]
                probs = out[:k].cpu().numpy()  # [k, V]; on the CPU the same memory as out
            if block_probs is not None:
                block_probs[t % T].copy_(out)  # before sse adjusts probs in place
            if sse is not None:
                match_row = (mm.pred[t + 1, :k], mm.bucket[t + 1, :k]) if mm is not None else ()
                sse.adjust(probs, *match_row)
            clock("predict")
            sym = coder.code(tok[t + 1, :k], probs)
            tok[t + 1, :k] = sym
            clock("code")
            if mm is not None:
                mm.update(t + 1, k)
            if cm is not None:
                cm.update(t + 1, k)
            if sse is not None:
                sse.update(sym)
            clock("match")
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
            clock("bookkeeping")
            if (t + 1) % T == 0 and t + 1 < L:
                blk = tok_t[t + 1 - T:t + 2].long().to(dev)  # [T+1, B]
                model.train_block(blk[:-1], blk[1:], block_state, *features(slice(t + 2 - T, t + 2)),
                                  probs=block_probs)
                block_state = model.block_start(state)
                clock("train")
                if ctr["coded"] - ctr["seg_start"] >= cfg.coder_segment:
                    coder.next_segment()
                    ctr["seg_start"], ctr["t"] = ctr["coded"], t + 1
                    if on_segment is not None:
                        on_segment(lambda: _snapshot(ctr, model, state, mm, cm, sse, coder))
            if progress is not None and (t + 1 == L or time.perf_counter() - last_report > 0.25):
                last_report = time.perf_counter()
                progress(int(np.minimum(lens, t + 1).sum()), n, ctr["bits"])
        updates = model.updates
    return RunStats(n=n, bits=ctr["bits"], seconds=time.perf_counter() - t0, updates=updates)


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


def _arrays(m: MatchModel | ContextModel | SecondaryEstimate | None) -> dict:
    """A row-fed model's state arrays, copied; {} where the config has no such model."""
    return {k: torch.from_numpy(getattr(m, k).copy()) for k in m.STATE} if m is not None else {}


def _load_arrays(m: MatchModel | ContextModel | SecondaryEstimate | None, saved: dict) -> None:
    if m is not None:
        for k in m.STATE:
            getattr(m, k)[...] = saved[k].numpy()


def _snapshot(counters: dict, model: Predictor, state: list, mm: Optional[MatchModel],
              cm: Optional[ContextModel], sse: Optional[SecondaryEstimate], coder: Encoder) -> dict:
    """Everything the loop needs to continue after step counters['t'] - 1 (tensors copied)."""
    return {
        "counters": dict(counters),
        "model": {k: v.cpu().clone() for k, v in model.state_dict().items()},
        "optimizer": _to_cpu(copy.deepcopy(model.opt.state_dict())),
        "updates": model.updates,
        # Per layer its two state tensors, stacked: the LSTM's (h, c), the Transformer's rings.
        "state": [torch.stack([h, c]).cpu().clone() for h, c in state],
        "match": _arrays(mm),
        "context": _arrays(cm),
        "sse": _arrays(sse),
        "sealed": coder.sealed(),
    }


def _to_cpu(obj):
    """A checkpoint is saved from the CPU, whatever device the model runs on."""
    if isinstance(obj, torch.Tensor):
        return obj.cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    return obj


def _restore(snap: dict, model: Predictor, mm: Optional[MatchModel],
             cm: Optional[ContextModel], sse: Optional[SecondaryEstimate],
             dev: torch.device) -> list:
    model.load_state_dict(snap["model"])
    model.opt.load_state_dict(snap["optimizer"])  # moves the optimizer's state to the model's device
    model.updates = snap["updates"]
    model._refresh_step_weights()
    _load_arrays(mm, snap["match"])
    _load_arrays(cm, snap["context"])
    _load_arrays(sse, snap.get("sse", {}))  # checkpoints saved before sse existed lack the key
    return [(s[0].to(dev).clone(), s[1].to(dev).clone()) for s in snap["state"]]


def encode(data: bytes | np.ndarray, cfg: LSTMConfig, threads: int,
           progress: Optional[Progress] = None, on_segment: Optional[SegmentHook] = None,
           resume: Optional[dict] = None, timings: Optional[dict] = None,
           device: str = "cpu") -> tuple[bytes, RunStats]:
    """Code bytes, or an array of symbols < cfg.vocab."""
    coder = Encoder(resume["sealed"] if resume else b"")
    tok = to_streams(data, cfg.streams, cfg.vocab)
    stats = run(cfg, len(data), coder, tok, threads, progress,
                on_segment=on_segment, resume=resume, timings=timings, device=device)
    return coder.finish(), stats


def decode(payload: bytes, n: int, cfg: LSTMConfig, threads: int,
           progress: Optional[Progress] = None, timings: Optional[dict] = None,
           device: str = "cpu") -> tuple[np.ndarray, RunStats]:
    """The n symbols coded in payload."""
    coder = Decoder(payload)
    tok = token_buffer(n, cfg.streams, cfg.vocab)
    # constriction's quantised probabilities are within a few % of the float ones in cost.
    max_bits = 1.05 * 8 * len(payload) + 4096
    stats = run(cfg, n, coder, tok, threads, progress, max_bits, timings=timings, device=device)
    coder.finish()
    return from_streams(tok, n), stats
