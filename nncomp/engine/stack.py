"""The predictor stack: the network, the match model, the context statistics and the secondary
estimate behind one small interface, so the engine's loop is the same whatever a config uses.

    predict(t, k)      probabilities [k, V] of row t + 1 of the first k streams
    observe(r, k, sym) row r has been coded: every model takes it in
    train(t)           the network trains on the block that ends with row t + 1
    snapshot()         everything needed to continue after the last observed row (checkpoints)

The network reads the match model's and the context statistics' features of the row it
predicts; the secondary estimate adjusts the network's probabilities using the match features.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, cast

import numpy as np
import torch

from ..config import ModelConfig
from ..errors import CheckpointError
from ..models.context import ContextModel
from ..models.match import MatchModel
from ..models.sse import SecondaryEstimate
from ..net import build
from ..net.graphed import GraphedStep

if TYPE_CHECKING:
    from ..net.exact import ExactLSTM


class PredictorStack:
    """Per-run state for cfg.streams streams over the token buffer tok [L+1, B] (which the
    decoder fills row by row as it decodes)."""

    def __init__(self, cfg: ModelConfig, tok: np.ndarray, n: int, device: torch.device,
                 cuda_graphs: bool = True, resume: Optional[dict] = None,
                 warm: Optional[dict] = None):
        B, T = cfg.streams, cfg.bptt
        L = tok.shape[0] - 1
        self.cfg, self.tok, self.device = cfg, tok, device
        self.tok_t = torch.from_numpy(tok)  # shares memory: decoded rows appear here too
        self.net = build(cfg, device)
        self.net.set_run_length((L - 1) // T if L else 0)  # blocks trained: at t + 1 = T, 2T, ... < L
        self.state = self.net.initial_state(B)
        self.match = MatchModel(tok, n, cfg.vocab) if cfg.match else None
        # The context features of a training block's rows and of the next row are kept.
        self.context = ContextModel(tok, n, cfg.vocab, cfg.context, T + 2,
                                    warm.get("context") if warm and cfg.warm_context else None,
                                    cfg.ctx_top, cfg.ctx_slot) if cfg.context else None
        self.sse = SecondaryEstimate(B) if cfg.sse else None
        if warm is not None:  # a warm frame: the network another frame ended with
            cast("ExactLSTM", self.net).start_from(warm)
        if resume is not None:
            self._restore(resume)
        self.graphed = None
        if device.type == "cuda" and cuda_graphs and self.net.graphable:
            self.graphed = GraphedStep(self.net, self.state)
            self.state = self.graphed.state  # the graph's own buffers, updated in place by each step
        self.block_state = self.net.block_start(self.state)
        # With reuse_probs, the step's own output for each row of the block, for training.
        self.block_probs = (torch.empty(T, B, cfg.vocab, device=device)
                            if cfg.reuse_probs and not cfg.exact else None)

    @property
    def updates(self) -> int:
        return self.net.updates

    def warm_network(self) -> dict:
        """What the frame cfg.warm frames later starts from: the network's weights and Adam's
        state, with cfg.warm_context the context statistics' tables too."""
        out = cast("ExactLSTM", self.net).network()
        if self.cfg.warm_context and self.context is not None:
            out["context"] = self.context.tables()
        return out

    def _row_models(self) -> list:
        return [m for m in (self.match, self.context, self.sse) if m is not None]

    def _feature_arrays(self, rows: int | slice) -> list[np.ndarray]:
        """The features predicting a row [B] or rows [R, B] that the config uses: the match
        model's (pred, bucket), then the context candidates and buckets ([..., K] each)."""
        out: list[np.ndarray] = []
        if self.match is not None:
            out += [self.match.pred[rows], self.match.bucket[rows]]
        if self.context is not None:
            out += list(self.context.features(rows))
        return out

    def _features(self, rows: int | slice) -> tuple:
        """(pred, bucket, ctx) as the network takes them, on its device."""
        a = [torch.from_numpy(x).long().to(self.device) for x in self._feature_arrays(rows)]
        pred, bucket = (a[0], a[1]) if self.match is not None else (None, None)
        return pred, bucket, (a[-2], a[-1]) if self.context is not None else None

    def predict(self, t: int, k: int) -> np.ndarray:
        """probs [k, V] float32 for row t + 1 of the first k streams, from row t."""
        if self.graphed is not None:
            probs = self.graphed([self.tok[t], *self._feature_arrays(t + 1)], k).numpy()  # [k, V]
            out = self.graphed.probs  # [B, V]
        else:
            prev = self.tok_t[t].long().to(self.device)  # [B]
            out = self.net.step(prev, self.state, *self._features(t + 1))  # [B, V]
            probs = out[:k].cpu().numpy()  # [k, V]; on the CPU the same memory as out
        if self.block_probs is not None:
            self.block_probs[t % self.cfg.bptt].copy_(out)  # before sse adjusts probs in place
        if self.sse is not None:
            m = self.match
            self.sse.adjust(probs, *((m.pred[t + 1, :k], m.bucket[t + 1, :k]) if m is not None else ()))
        return probs

    def observe(self, r: int, k: int, sym: np.ndarray) -> None:
        """Row r (1-based; now in the token buffer) has been coded for the first k streams."""
        for m in self._row_models():
            m.observe(r, k, sym)

    def train(self, t: int) -> None:
        """One update on the block of rows t + 2 - T .. t + 1, predicted from the rows before."""
        T = self.cfg.bptt
        blk = self.tok_t[t + 1 - T:t + 2].long().to(self.device)  # [T+1, B]
        if self.cfg.exact:  # the exact network kept its steps' activations: targets suffice
            cast("ExactLSTM", self.net).train_block(blk[1:])
            return
        pred, bucket, ctx = self._features(slice(t + 2 - T, t + 2))
        self.net.train_block(blk[:-1], blk[1:], self.block_state, pred, bucket, ctx,
                             probs=self.block_probs)
        self.block_state = self.net.block_start(self.state)

    def snapshot(self) -> dict:
        """Everything the stack needs to continue (tensors copied, on the CPU)."""
        def arrays(m) -> dict:
            return {k: torch.from_numpy(v) for k, v in m.state().items()} if m is not None else {}
        return {
            **self.net.snapshot(),
            # Per layer its two state tensors, stacked: the LSTM's (h, c), the Transformer's rings.
            "state": [torch.stack([h, c]).cpu().clone() for h, c in self.state],
            "match": arrays(self.match),
            "context": arrays(self.context),
            "sse": arrays(self.sse),
        }

    def _restore(self, snap: dict) -> None:
        self._check(snap)
        self.net.restore(snap)
        for m, key in ((self.match, "match"), (self.context, "context"), (self.sse, "sse")):
            if m is not None:
                m.load_state(snap.get(key, {}))
        self.state = [(s[0].to(self.device).clone(), s[1].to(self.device).clone())
                      for s in snap["state"]]

    def _check(self, snap: dict) -> None:
        """A saved state fits this stack, name by name and shape by shape, before any of it is
        loaded: a checkpoint of another config or a crafted one is refused, not half-loaded."""
        def same(saved, here: dict, what: str) -> None:
            if not isinstance(saved, dict) or set(saved) != set(here):
                raise CheckpointError(f"checkpoint: the {what} state names other parts")
            for k, v in here.items():
                t = saved[k]
                if not isinstance(t, torch.Tensor) or tuple(t.shape) != tuple(v.shape) \
                        or t.dtype != v.dtype:
                    raise CheckpointError(f"checkpoint: {what} {k} has the wrong shape or type")
        need = {"model", "optimizer", "updates", "state", "match", "context", "sse"}
        if not need <= set(snap):
            raise CheckpointError("checkpoint: the engine state lacks " + ", ".join(sorted(need - set(snap))))
        same(snap["model"], self.net.state_dict(), "model")
        for m, key in ((self.match, "match"), (self.context, "context"), (self.sse, "sse")):
            # Views of the live arrays: only their shapes and types are compared.
            here = {k: torch.from_numpy(getattr(m, k)) for k in m.STATE} if m is not None else {}
            same(snap.get(key, {}), here, key)
        states = snap["state"]
        if not isinstance(states, list) or len(states) != len(self.state) or any(
                not isinstance(t, torch.Tensor) or tuple(t.shape) != (2, *h.shape) or t.dtype != h.dtype
                for t, (h, _) in zip(states, self.state)):
            raise CheckpointError("checkpoint: the network's state has the wrong shape")
        if type(snap["updates"]) is not int or not 0 <= snap["updates"] <= self.net.total_updates:
            raise CheckpointError("checkpoint: the update count is out of range")
        opt = snap["optimizer"]
        params = list(self.net.parameters())
        if not isinstance(opt, dict) or not isinstance(opt.get("state"), dict) or not isinstance(
                opt.get("param_groups"), list) or len(opt["param_groups"]) != 1:
            raise CheckpointError("checkpoint: the optimizer state is malformed")
        for i, st in opt["state"].items():
            if type(i) is not int or not 0 <= i < len(params) or not isinstance(st, dict) or any(
                    not isinstance(st.get(k), torch.Tensor) or st[k].shape != params[i].shape
                    for k in ("exp_avg", "exp_avg_sq")) or not isinstance(st.get("step"), torch.Tensor):
                raise CheckpointError("checkpoint: the optimizer state does not fit the model")
