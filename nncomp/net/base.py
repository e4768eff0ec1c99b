"""What every network of the stack shares (nncomp/net/lstm.py, nncomp/net/transformer.py):
trained online, NNCP style, as nncomp/config.py describes them.

Two paths share one set of weights:
- `step` predicts one symbol per stream from the previous one (no autograd). Encoder and
  decoder both call it, so both compute the same floats.
- `train_block` runs the batched kernels (the fused nn.LSTM) over a [T, B] block with autograd
  and takes one Adam step. Its floats differ from `step`'s at ~1e-7, which does not matter: both
  directions run it identically, and its output is only ever used to update the weights. With
  `reuse_probs` it takes the gradient at the logits from `step`'s probabilities and computes only
  the head's input: the head's forward product and softmax are not run twice.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ModelConfig
from ..models.context import initial_bonus
from ..models.match import BUCKETS
from .optim import Adam

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}  # config.DTYPES' names


class Predictor(nn.Module):
    """What every network shares: the symbol embedding and the match features on its input; a
    linear head with the match and context bonuses on its output; Adam; the stepwise weights.

    A subclass builds its core between `embed` and `head` (F features per position), calls
    `_init_features(E, F)` inside its seeded block and `_finish_init(device)` at the end, and
    defines initial_state, _core_weights, _predict, features and block_start."""

    # Whether GraphedStep (nncomp/net/graphed.py) can capture this network's step on a GPU.
    graphable = False
    # What every network has (declared for type checkers: nn.Module's attributes are dynamic).
    cfg: ModelConfig
    device: torch.device
    embed: nn.Embedding
    head: nn.Linear
    match_emb: nn.Embedding
    len_emb: nn.Embedding
    bonus: nn.Parameter
    ctx_bonus: nn.Parameter
    ctx_gate: nn.Linear
    _ctx_order: torch.Tensor
    opt: Adam
    updates: int
    total_updates: int
    _w: dict[str, torch.Tensor]
    _pinned: bool

    def _init_features(self, E: int, F_: int) -> None:
        cfg = self.cfg
        if cfg.match:
            self.match_emb = nn.Embedding(cfg.vocab + 1, E)  # the predicted symbol, or none (V)
            self.len_emb = nn.Embedding(BUCKETS, E)  # how long the match is
            # Logit bonus for the predicted byte by match length; starts trusting long matches.
            self.bonus = nn.Parameter(torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0]))
        if cfg.context:
            # Logit bonus of a context candidate per (order, count bucket): the mixer's weights.
            self.ctx_bonus = nn.Parameter(torch.from_numpy(initial_bonus(cfg.context)))
            self._ctx_order = torch.arange(cfg.context).repeat_interleave(cfg.ctx_top)  # [K]
            # How much each order is trusted, from the network's state: 1 + gate(h), gate = 0 at start.
            self.ctx_gate = nn.Linear(F_, cfg.context)
            nn.init.zeros_(self.ctx_gate.weight)
            nn.init.zeros_(self.ctx_gate.bias)

    def _finish_init(self, device: str | torch.device) -> None:
        # Initialised on the CPU whatever the device: the same seed gives the same start anywhere.
        self.to(device)
        self.device = torch.device(device)
        if self.cfg.context:
            self._ctx_order = self._ctx_order.to(device)
        self.opt = Adam(self.parameters(), lr=self.cfg.lr, betas=(self.cfg.beta1, self.cfg.beta2),
                        eps=self.cfg.eps)
        self.updates = 0
        self.total_updates = 0  # of the whole run, for lr_end (set_run_length)
        self._pinned = False
        self._refresh_step_weights()

    # -- stepwise prediction (the decoder's path, used by both directions) --

    def _step_weights(self) -> dict[str, torch.Tensor]:
        """The weights of the stepwise path, cast to its dtype."""
        dt = DTYPES[self.cfg.dtype]
        head_w: torch.Tensor = self.head.weight  # [V, F]
        head_b: torch.Tensor = self.head.bias  # [V]
        if self.cfg.context:
            # The gates ride on the head's product (a separate small one costs a sixth of it),
            # one column per candidate, so that the step needs no gather to spread them.
            head_w = torch.cat([head_w, self.ctx_gate.weight[self._ctx_order]])  # [V + K, F]
            head_b = torch.cat([head_b, self.ctx_gate.bias[self._ctx_order]])
        w = {"emb": self.embed.weight.detach().to(dt),
             "head_w": head_w.detach().to(dt).t().contiguous(),  # [F, V (+ K)]
             "head_b": head_b.detach().to(dt)}
        w.update(self._core_weights(dt))
        if self.cfg.match:
            w["memb"] = self.match_emb.weight.detach().to(dt)
            w["lemb"] = self.len_emb.weight.detach().to(dt)
            w["bonus"] = self.bonus.detach().float()
        if self.cfg.context:
            w["ctx_bonus"] = self._ctx_table().detach().float()
        return w

    # -- what a network defines --

    def _core_weights(self, dt: torch.dtype) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def initial_state(self, B: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the two state tensors a step updates (B streams)."""
        raise NotImplementedError

    def block_start(self, state: list) -> list:
        """What training the next block starts from, taken before its first step."""
        raise NotImplementedError

    def _predict(self, prev: torch.Tensor, state: list, pred: torch.Tensor | None,
                 bucket: torch.Tensor | None, ctx: tuple | None = None) -> tuple[torch.Tensor, list]:
        """step without side effects: (probs [B, V], the new state)."""
        raise NotImplementedError

    # -- checkpoints --

    def snapshot(self) -> dict:
        """Weights, Adam's state and the update count, copied to the CPU."""
        return {"model": {k: v.cpu().clone() for k, v in self.state_dict().items()},
                "optimizer": _to_cpu(copy.deepcopy(self.opt.state_dict())),
                "updates": self.updates}

    def restore(self, saved: dict) -> None:
        """Continue from what snapshot() returned (on this model's device)."""
        self.load_state_dict(saved["model"])
        self.opt.load_state_dict(saved["optimizer"])  # moves Adam's state to the model's device
        self.updates = saved["updates"]
        self._refresh_step_weights()

    def _refresh_step_weights(self) -> None:
        """Cast the weights for the stepwise path once per update, not once per step."""
        with torch.no_grad():
            new = self._step_weights()
            if self._pinned:  # a CUDA graph reads these very tensors: update them in place
                for k, v in new.items():
                    self._w[k].copy_(v)
            else:
                self._w = new

    def pin_step_weights(self) -> None:
        """Keep the stepwise weights at fixed addresses from now on (for GraphedStep)."""
        self._w = {k: v.clone() for k, v in self._w.items()}
        self._pinned = True

    @torch.no_grad()
    def step(self, prev: torch.Tensor, state: list, pred: torch.Tensor | None = None,
             bucket: torch.Tensor | None = None, ctx: tuple | None = None) -> torch.Tensor:
        """prev: [B] int64 previous symbols; pred/bucket [B]: match features (if cfg.match);
        ctx: context candidates and their buckets, [B, K] each (if cfg.context);
        state updated in place. Returns probs [B, V] fp32."""
        probs, state[:] = self._predict(prev, state, pred, bucket, ctx)
        return probs

    def _step_input(self, prev: torch.Tensor, pred: torch.Tensor | None,
                    bucket: torch.Tensor | None) -> torch.Tensor:
        w = self._w
        x = w["emb"][prev]  # [B, E]
        if self.cfg.match:
            x = x + w["memb"][pred] + w["lemb"][bucket]  # [B, E]
        return x

    def _step_output(self, h: torch.Tensor, pred: torch.Tensor | None,
                     bucket: torch.Tensor | None, ctx: tuple | None) -> torch.Tensor:
        """probs [B, V] from the core's features h [B, F]."""
        w, V = self._w, self.cfg.vocab
        out = torch.addmm(w["head_b"], h, w["head_w"]).float()  # [B, V (+K)]
        logits = out[:, :V]  # [B, V]
        if self.cfg.match:
            assert pred is not None
            logits = self._add_bonus(logits, pred, w["bonus"][bucket], inplace=True)
        if self.cfg.context:
            assert ctx is not None
            logits = self._add_context(logits, ctx[0], self._ctx_bonus(w["ctx_bonus"], ctx[1], out[:, V:]),
                                       inplace=True)
        return torch.softmax(logits, 1)

    @staticmethod
    def _add_bonus(logits: torch.Tensor, pred: torch.Tensor, bonus: torch.Tensor,
                   inplace: bool = False) -> torch.Tensor:
        """logits [..., V] + bonus [...] on the predicted symbol; pred == V (no match) adds 0.
        One scatter, no [..., V+1] copy: this runs on every step and every training block."""
        V = logits.shape[-1]
        if logits.is_cuda:
            # CUDA's deterministic scatter_add sorts and synchronises; a compare and a select give
            # the same sums, need no sort, and can be captured in a CUDA graph.
            hit = torch.arange(V, device=logits.device) == pred.unsqueeze(-1)  # [..., V]
            return logits + torch.where(hit, bonus.unsqueeze(-1), 0.0).to(logits.dtype)
        hit = pred < V
        idx = torch.where(hit, pred, 0).unsqueeze(-1)  # [..., 1]
        val = (bonus * hit).unsqueeze(-1).to(logits.dtype)  # [..., 1]
        return logits.scatter_add_(-1, idx, val) if inplace else logits.scatter_add(-1, idx, val)

    def _ctx_table(self) -> torch.Tensor:
        """The bonus per (order, bucket), and a 0 at the end for "no candidate"."""
        return torch.cat([self.ctx_bonus, self.ctx_bonus.new_zeros(1)])  # [orders*BUCKETS + 1]

    @staticmethod
    def _ctx_bonus(table: torch.Tensor, bkt: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        """Each candidate's bonus [..., K]: its bucket's, scaled by 1 + the gate of its order
        [..., K] (the network's state says when to lean on the statistics)."""
        b = table[bkt]  # [..., K]
        return torch.addcmul(b, b, gate)

    @staticmethod
    def _add_context(logits: torch.Tensor, cand: torch.Tensor, bonus: torch.Tensor,
                     inplace: bool = False) -> torch.Tensor:
        """logits [..., V] + bonus [..., K] on each candidate symbol cand [..., K]. An empty
        candidate has bonus 0. Candidates of different orders may name the same symbol: their
        bonuses add up, as the evidence of a log-linear mixer does."""
        val = bonus.to(logits.dtype)
        if logits.is_cuda:  # no scatter: see _add_bonus
            return Predictor._add_dense(logits, cand, val)
        return logits.scatter_add_(-1, cand, val) if inplace else logits.scatter_add(-1, cand, val)

    @staticmethod
    def _add_dense(logits: torch.Tensor, cand: torch.Tensor, val: torch.Tensor) -> torch.Tensor:
        """_add_context as compares and a sum over K, for GPUs (any device computes it)."""
        onehot = torch.arange(logits.shape[-1], device=logits.device) == cand.unsqueeze(-1)  # [..., K, V]
        return logits + torch.where(onehot, val.unsqueeze(-1), 0.0).sum(-2)

    # -- training on a block (same for both directions) --

    def _input(self, inputs: torch.Tensor, pred: torch.Tensor | None,
               bucket: torch.Tensor | None) -> torch.Tensor:
        x = self.embed(inputs)  # [T, B, E]
        if self.cfg.match:
            x = x + self.match_emb(pred) + self.len_emb(bucket)  # [T, B, E]
        return x

    def forward(self, inputs: torch.Tensor, state: list, pred: torch.Tensor | None = None,
                bucket: torch.Tensor | None = None, ctx: tuple | None = None) -> torch.Tensor:
        """inputs, pred, bucket: [T, B] int64; ctx: [T, B, K] each; state: what block_start
        returned. Returns logits [T, B, V]."""
        return self._output(self.features(inputs, state, pred, bucket), pred, bucket, ctx)

    def features(self, inputs: torch.Tensor, state: list, pred: torch.Tensor | None = None,
                 bucket: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def _output(self, h: torch.Tensor, pred: torch.Tensor | None, bucket: torch.Tensor | None,
                ctx: tuple | None) -> torch.Tensor:
        """logits [T, B, V] from the core's features h [T, B, F]."""
        logits = self._train_head(h)  # [T, B, V]
        if self.cfg.match:
            assert pred is not None
            logits = self._add_bonus(logits.float(), pred, self.bonus[bucket])
        if self.cfg.context:
            assert ctx is not None
            logits = self._add_context(logits.float(), ctx[0], self._train_ctx_bonus(h, ctx[1]))
        return logits

    def _train_ctx_bonus(self, h: torch.Tensor, bkt: torch.Tensor) -> torch.Tensor:
        """Each context candidate's bonus [T, B, K] in training, from the features h [T, B, F]."""
        gate = self.ctx_gate(h).float()[..., self._ctx_order]  # [T, B, K]
        return self._ctx_bonus(self._ctx_table(), bkt, gate)

    def _train_head(self, h: torch.Tensor) -> torch.Tensor:
        """The head in training, in its own autocast dtype where it has one: at small widths the
        head's [T·B, F] × [F, V] products are most of a block, and bf16 halves them."""
        dt = self.cfg.train_head_dtype
        if not dt or dt == self.cfg.train_dtype:
            return self.head(h)
        with torch.autocast(self.device.type, dtype=DTYPES[dt], enabled=dt != "float32"):
            return self.head(h.float() if dt == "float32" else h)

    def _loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of logits [N, V] against targets [N].

        CUDA's nll_loss has no deterministic kernel; log_softmax + gather computes the same
        gradient with deterministic ones. The CPU keeps F.cross_entropy, whose bits its archives
        were written with."""
        if self.device.type == "cpu":
            return F.cross_entropy(logits, targets)
        logp = F.log_softmax(logits, -1)  # [N, V]
        return -logp.gather(1, targets.unsqueeze(1)).mean()

    def _reused(self, probs: torch.Tensor, targets: torch.Tensor, inputs: torch.Tensor,
                state: list, pred: torch.Tensor | None, bucket: torch.Tensor | None,
                ctx: tuple | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The block's mean cross-entropy, and an objective with its gradient whose output
        gradient (softmax - one-hot) is taken from the step's probabilities instead of
        recomputed: the head's forward product, its softmax and its [T, B, V] copies are skipped.
        The step computed the same function of the same weights and states, in its own
        rounding."""
        V = self.cfg.vocab
        p = probs.reshape(-1, V)  # [N, V]
        rows, tgt = torch.arange(len(p), device=p.device), targets.reshape(-1)
        loss = -torch.log(p[rows, tgt].clamp_min(2.0**-126)).mean()
        g = p.clone()
        g[rows, tgt] -= 1.0
        g = g.mul_(1.0 / len(p)).view(probs.shape)  # [T, B, V]: dloss/dlogits
        h = self.features(inputs, state, pred, bucket)  # [T, B, F]
        dt = DTYPES[self.cfg.train_head_dtype or self.cfg.train_dtype]
        # d(Σ g·logits) is the loss's gradient: the head's part without its forward product.
        surrogate = _HeadGrad.apply(h, self.head.weight, self.head.bias, g, dt)
        if self.cfg.match:
            assert pred is not None
            hit = pred < V
            at = g.gather(-1, torch.where(hit, pred, 0).unsqueeze(-1)).squeeze(-1)  # [T, B]
            surrogate = surrogate + (at * hit * self.bonus[bucket]).sum()
        if self.cfg.context:
            assert ctx is not None
            surrogate = surrogate + (g.gather(-1, ctx[0]) * self._train_ctx_bonus(h, ctx[1])).sum()
        return loss, surrogate

    def set_run_length(self, updates: int) -> None:
        """How many updates the whole run takes: lr_end is reached at the last one. Both
        directions know it from the symbol count, before the first symbol is coded."""
        self.total_updates = updates

    def lr_now(self) -> float:
        cfg, w = self.cfg, self.cfg.warmup
        lr = cfg.lr * (min(1.0, (self.updates + 1) / w) if w else 1.0)
        if cfg.lr_end and self.total_updates:
            # Early on a large step learns fast; later the weights have more to lose than to
            # gain from one block, so the step shrinks with the share of the run done.
            lr *= (cfg.lr_end / cfg.lr) ** min(1.0, self.updates / self.total_updates)
        return lr

    def train_block(self, inputs: torch.Tensor, targets: torch.Tensor, state: list,
                    pred: torch.Tensor | None = None, bucket: torch.Tensor | None = None,
                    ctx: tuple | None = None, probs: torch.Tensor | None = None) -> float:
        """One truncated-BPTT Adam update on a [T, B] block; state: what block_start returned
        before its first step; probs [T, B, V]: what `step` predicted for the block's targets,
        which training with `reuse_probs` takes its output gradient from."""
        low = self.cfg.train_dtype != "float32"
        autocast = torch.autocast(self.device.type, dtype=DTYPES[self.cfg.train_dtype], enabled=low)
        if self.cfg.reuse_probs:
            assert probs is not None
            with autocast:
                loss, objective = self._reused(probs, targets, inputs, state, pred, bucket, ctx)
        else:
            with autocast:
                logits = self.forward(inputs, state, pred, bucket, ctx)
            loss = objective = self._loss(logits.float().reshape(-1, self.cfg.vocab),
                                          targets.reshape(-1))
        self.opt.zero_grad()
        objective.backward()
        if self.cfg.grad_clip:
            nn.utils.clip_grad_norm_(self.parameters(), self.cfg.grad_clip, foreach=True)
        self.opt.step(self.lr_now())
        self.updates += 1
        self._refresh_step_weights()
        return float(loss.detach())


class _HeadGrad(torch.autograd.Function):
    """Σ g · (h Wᵀ + b) for a fixed g [T, B, V], as a gradient only: backward gives g W, gᵀ h and
    Σ g (the products in dtype, as autocast would run the head) and forward computes nothing."""

    @staticmethod
    def forward(ctx, h, weight, bias, g, dtype):
        ctx.save_for_backward(h, weight, g)
        ctx.dtype = dtype
        return h.new_zeros((), dtype=torch.float32)

    @staticmethod
    def backward(ctx, grad):
        h, weight, g = ctx.saved_tensors
        dt, F_ = ctx.dtype, h.shape[-1]
        g2 = (g * grad).reshape(-1, g.shape[-1]).to(dt)  # [N, V]
        dh = (g2 @ weight.to(dt)).view(h.shape).to(h.dtype)  # [T, B, F]
        dw = (g2.t() @ h.reshape(-1, F_).to(dt)).to(weight.dtype)  # [V, F]
        db = g2.float().sum(0).to(weight.dtype)  # [V]
        return dh, dw, db, None, None


def _to_cpu(obj):
    """A checkpoint is saved from the CPU, whatever device the model runs on."""
    if isinstance(obj, torch.Tensor):
        return obj.cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    return obj
