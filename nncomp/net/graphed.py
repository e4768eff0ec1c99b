"""A network's step replayed as one CUDA graph (GPUs only)."""
from __future__ import annotations

import torch

from .base import Predictor


class GraphedStep:
    """LSTMPredictor.step captured once as a CUDA graph: one launch per step instead of ~20.

    Kernel launches dominate a step of B symbols on a GPU. The graph reads the previous symbols,
    the match and context features and the state from fixed buffers and writes the new state
    back into them; the model updates its step weights in place after each training block
    (pin_step_weights).
    It replays the eager step's kernels, so the floats are the same (tests/test_cuda.py).
    """

    def __init__(self, model: Predictor, state: list):
        dev = model.device
        B = state[0][0].shape[0]
        model.pin_step_weights()
        self.device = dev
        self.state = [(h.clone(), c.clone()) for h, c in state]
        # Columns: the previous symbol, then the match prediction and bucket, then K context
        # candidates and K buckets (what the config uses).
        self.match = model.cfg.match
        self.k = model.cfg.context * model.cfg.ctx_top
        cols = 1 + 2 * self.match + 2 * self.k
        self.host = torch.zeros(B, cols, dtype=torch.long).pin_memory()
        self.inputs = torch.zeros(B, cols, dtype=torch.long, device=dev)
        side = torch.cuda.Stream(dev)  # capture needs a warmed-up, non-default stream
        side.wait_stream(torch.cuda.current_stream(dev))
        with torch.cuda.stream(side), torch.no_grad():
            for _ in range(2):
                model._predict(*self._args())
        torch.cuda.current_stream(dev).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph), torch.no_grad():
            self.probs, new = model._predict(*self._args())  # [B, V]
            for (h, c), (h2, c2) in zip(self.state, new):
                h.copy_(h2)
                c.copy_(c2)
        self.probs_host = torch.empty(self.probs.shape, dtype=self.probs.dtype).pin_memory()

    def _args(self) -> tuple:
        x, j = self.inputs, 1 + 2 * self.match
        pred, bucket = (x[:, 1], x[:, 2]) if self.match else (None, None)
        ctx = (x[:, j:j + self.k], x[:, j + self.k:]) if self.k else None
        return x[:, 0], self.state, pred, bucket, ctx

    def __call__(self, cols: list, k: int) -> torch.Tensor:
        """cols: the previous symbols [B], then the features the config uses ([B] or [B, K]
        each, in the order of _args); returns probs [k, V] on the CPU, valid until the next call."""
        host, j = self.host.numpy(), 0
        for c in cols:
            w = 1 if c.ndim == 1 else c.shape[1]
            host[:, j:j + w] = c.reshape(len(c), w)
            j += w
        self.inputs.copy_(self.host, non_blocking=True)
        self.graph.replay()
        self.probs_host.copy_(self.probs, non_blocking=True)
        torch.cuda.current_stream(self.device).synchronize()
        return self.probs_host[:k]
