"""The exact LSTM (config `exact`): the network of the presets since engine 3, computed so that
every CPU and GPU, any thread count and any torch release give the same bits (the rules are in
nncomp/net/fixed.py; docs/FORMAT.md specifies them for other implementations).

The architecture is nncomp/net/lstm.py's: an embedding (plus the match model's predicted symbol
and length bucket), L LSTM layers that each also see the embedding, a linear head over all
layers' outputs, a learned logit bonus for the match model's symbol and for each context
candidate (scaled by 1 + a gate from the head). What changes is the arithmetic:
- the step quantizes inputs, states and weights to integer grids and runs its GEMMs in float64
  on integers (exact), the gates through tables, the softmax through an exp table and an
  integer sum;
- training is written out by hand (no autograd): the step's activations of the last T rows are
  kept, so a block's training is only its backward pass, computed with the same rules and
  straight-through estimates for the roundings;
- Adam runs one IEEE operation at a time (fixed.ExactAdam).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..config import ModelConfig
from ..models.match import BUCKETS
from . import fixed, fused
from .fixed import AB, BB, GB, LB, WB, quantize, quantize_dynamic

_NO_INDEX = np.zeros(0, np.int64)  # what the numba loops get for a part the config lacks
_NO_VALUES = np.zeros(0)


class ExactLSTM(nn.Module):
    """Embedding -> L LSTM layers (each also sees the embedding) -> head, in exact arithmetic.

    The parameters are views of one flat float64 vector (one Adam and one quantization per
    update over all of them). Layouts are the GEMMs' own: a cell's weights [K+H, 4H] (gates i,
    f, g, o), the head's [L·H, V + orders] (the context gates are its last columns)."""

    graphable = False
    # Parameters registered by name in _build (declared for type checkers).
    emb: nn.Parameter
    match_emb: nn.Parameter
    len_emb: nn.Parameter
    bonus: nn.Parameter
    ctx_bonus: nn.Parameter
    # On the CPU the elementwise stages run as numba loops (nncomp/net/fused.py): the same bits
    # as the torch operations a GPU runs, which tests compare by switching this off.
    fused = True

    def __init__(self, cfg: ModelConfig, device: str | torch.device = "cpu"):
        super().__init__()
        self.cfg = cfg
        H = cfg.hidden
        for shape in cfg.exact_shapes():
            fixed.check_shapes(*shape)
        self.device = torch.device(device)
        self._fused = self.fused and self.device.type == "cpu"
        self._build(self._initial(), device)
        self.tables = fixed.tables(str(self.device))
        # Gate g's inputs read the tanh half of the joined table [SIG, TANH].
        self._gate_offset = torch.zeros(4 * H, dtype=torch.int64, device=device)
        self._gate_offset[2 * H:3 * H] = len(self.tables["SIG"])
        self._joined = torch.cat([self.tables["SIG"], self.tables["TANH"]])
        if cfg.context:
            self._ctx_order = torch.arange(cfg.context, device=device).repeat_interleave(cfg.ctx_top)
        self.opt = fixed.ExactAdam(self.flat, self._views, (cfg.beta1, cfg.beta2), cfg.eps,
                                   loops=self._fused)
        self.updates = 0
        self.total_updates = 0
        self._cache: list[dict] = []
        # On the CPU each step writes its probabilities into row len(_cache) of one [T, B, V]
        # buffer, which training reads whole (no stacking of T rows).
        self._probs = torch.empty(0, dtype=torch.float64)
        self._refresh()

    def _initial(self) -> dict[str, torch.Tensor]:
        """Every parameter's starting value, by name, in registration order."""
        cfg = self.cfg
        E, H, L, V, C = cfg.embed, cfg.hidden, cfg.layers, cfg.vocab, cfg.context
        draw = iter(range(1, 1000))

        def uniform(shape: tuple[int, ...], bound: float) -> torch.Tensor:
            return fixed.uniform(cfg.seed, next(draw), shape, bound)

        emb_bound = 3.0 ** 0.5  # variance 1, as nn.Embedding's normal start
        cell, head = 1.0 / H ** 0.5, 1.0 / (L * H) ** 0.5
        p = {"emb": uniform((V, E), emb_bound)}
        for i in range(L):
            p[f"cell_w{i}"] = uniform((self._inputs(i) + H, 4 * H), cell)
            p[f"cell_b{i}"] = uniform((4 * H,), cell)
        p["head_w"] = torch.cat([uniform((L * H, V), head), torch.zeros(L * H, C, dtype=torch.float64)], 1)
        p["head_b"] = torch.cat([uniform((V,), head), torch.zeros(C, dtype=torch.float64)])
        if cfg.match:
            p["match_emb"] = uniform((V + 1, E), emb_bound)
            p["len_emb"] = uniform((BUCKETS, E), emb_bound)
            p["bonus"] = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0], dtype=torch.float64)
        if C:
            p["ctx_bonus"] = fixed.initial_bonus(C)
        return p

    def _build(self, init: dict[str, torch.Tensor], device) -> None:
        """Register the parameters as views of one flat vector on device."""
        self.flat = torch.cat([t.reshape(-1) for t in init.values()]).to(device)
        self._views, o = [], 0
        for name, t in init.items():
            self._views.append((o, t.shape))
            self.register_parameter(name, nn.Parameter(self.flat[o:o + t.numel()].view(t.shape),
                                                       requires_grad=False))
            o += t.numel()
        self._offsets = {name: v for name, v in zip(init, self._views)}

    def _inputs(self, i: int) -> int:
        """Inputs of layer i besides its own state: the embedding, and the layer below."""
        return self.cfg.embed + (self.cfg.hidden if i else 0)

    # -- the quantized weights the step and the backward pass read --

    def _q(self, name: str) -> torch.Tensor:
        o, shape = self._offsets[name]
        return self._qflat[o:o + shape.numel()].view(shape)

    def _refresh(self) -> None:
        """The integer weights of the current parameters, on the 2^-WB grid (once per update);
        biases as integers on the 2^-(WB+AB) grid of the products they are added to."""
        self._qflat = quantize(self.flat, WB)
        self._cell = [(self._q(f"cell_w{i}"), self._q(f"cell_b{i}") * 2.0**AB)  # [K+H, 4H], [4H]
                      for i in range(self.cfg.layers)]
        self._head = (self._q("head_w"), self._q("head_b") * 2.0**AB)  # [L·H, V+orders], [V+orders]
        if self.cfg.match:
            self._bonus = self._q("bonus") * 2.0**-WB  # [BUCKETS], on the 2^-BB grid (BB = WB)
        if self.cfg.context:
            table = self._q("ctx_bonus") * 2.0**-WB
            self._ctx = torch.cat([table, table.new_zeros(1)])  # [orders·42 + 1]: "none" adds 0

    # -- the stepwise path: both directions, and what training reads back --

    def initial_state(self, B: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer (h as integers on the 2^-AB grid, c) [B, H] float64."""
        z = torch.zeros(B, self.cfg.hidden, dtype=torch.float64, device=self.device)
        return [(z.clone(), z.clone()) for _ in range(self.cfg.layers)]

    def block_start(self, state: list) -> list:
        return []  # training reads the step's own records

    @torch.no_grad()
    def step(self, prev: torch.Tensor, state: list, pred: torch.Tensor | None = None,
             bucket: torch.Tensor | None = None, ctx: tuple | None = None) -> torch.Tensor:
        """prev [B] int64; pred, bucket [B]; ctx: candidates and buckets [B, K]; state updated
        in place. Returns probs [B, V] float32 (each an exactly rounded quotient of integers)."""
        if len(self._cache) == self.cfg.bptt:  # rows past the run's last trained block
            self._cache.clear()
        rec: dict = {"prev": prev, "pred": pred, "bucket": bucket, "ctx": ctx, "layers": []}
        xq = self._input(prev, pred, bucket)  # [B, E] integers
        inp, hs = xq, []
        for i, (h_prev, c_prev) in enumerate(state):
            u = torch.cat([inp, h_prev], 1)  # [B, K+H]
            h, c, saved = self._cell_step(i, u, c_prev)
            rec["layers"].append(saved)
            state[i] = (h, c)
            hs.append(h)
            inp = torch.cat([xq, h], 1)  # [B, E+H]
        hcat = torch.cat(hs, 1)  # [B, L·H]
        probs, rec["p"], rec["gate"] = self._output(hcat, pred, bucket, ctx)
        rec["hcat"] = hcat
        self._cache.append(rec)
        return probs

    def _input(self, prev: torch.Tensor, pred: torch.Tensor | None,
               bucket: torch.Tensor | None) -> torch.Tensor:
        if self._fused:
            x = torch.empty(len(prev), self.cfg.embed, dtype=torch.float64)
            fused.inputs(self.emb.numpy(), self.match_emb.numpy() if self.cfg.match else x.numpy(),
                         self.len_emb.numpy() if self.cfg.match else x.numpy(), prev.numpy(),
                         pred.numpy() if pred is not None else _NO_INDEX,
                         bucket.numpy() if bucket is not None else _NO_INDEX, fixed.XMAX, 2.0**AB,
                         x.numpy())
            return x
        x = self.emb[prev]  # [B, E]
        if self.cfg.match:
            x = x + self.match_emb[pred]
            x = x + self.len_emb[bucket]
        return quantize(x.clamp(-fixed.XMAX, fixed.XMAX), AB)

    def _cell_step(self, i: int, u: torch.Tensor, c_prev: torch.Tensor) -> tuple:
        """One LSTM cell on inputs u [B, K+H] (integers): (h integers, c, what backward reads)."""
        w, b = self._cell[i]
        z = torch.addmm(b, u, w)  # [B, 4H] integers on the 2^-(WB+AB) grid: exact
        if self._fused:
            h, c, si, sf, tg, so, tc = self._cell_fused(z, c_prev)
        else:
            si, sf, tg, so = self._joined[table_index(z) + self._gate_offset].chunk(4, 1)  # [B, H] each
            c = sf * c_prev + si * tg  # [B, H]: two products and a sum, each rounded once
            tc = self.tables["TANH"][fixed.table_index(c)]
            h = quantize(so * tc, AB)  # so·tc is exact (two 2^-15 grids); h on 2^-AB
        return h, c, {"u": u, "si": si, "sf": sf, "tg": tg, "so": so, "c_prev": c_prev, "tc": tc}

    def _cell_fused(self, z: torch.Tensor, c_prev: torch.Tensor) -> list[torch.Tensor]:
        """_cell_step's elementwise part in one numba loop (the same operations): h, c and the
        gates and tanh(c), [B, H] each."""
        out = [torch.empty_like(c_prev) for _ in range(7)]
        fused.cell(z.numpy(), c_prev.numpy(), self.tables["SIG"].numpy(),
                   self.tables["TANH"].numpy(), 2.0 ** (LB - WB - AB), 2.0**LB, 2.0**AB,
                   *(t.numpy() for t in out))
        return out

    def _output(self, hcat: torch.Tensor, pred: torch.Tensor | None, bucket: torch.Tensor | None,
                ctx: tuple | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(probs [B, V] float32, the same in float64, the context gates [B, K] or None)."""
        V = self.cfg.vocab
        w, b = self._head
        if self._fused:
            return self._output_fused(torch.addmm(b, hcat, w), pred, bucket, ctx)
        out = torch.addmm(b, hcat, w) * 2.0 ** -(WB + AB)  # [B, V (+K)]: exact
        logits = out[:, :V].contiguous()  # [B, V]
        if self.cfg.match:
            assert pred is not None
            hit = pred < V
            idx = torch.where(hit, pred, 0).unsqueeze(1)  # [B, 1]
            logits.scatter_add_(1, idx, (self._bonus[bucket] * hit).unsqueeze(1))
        gate = None
        if self.cfg.context:
            assert ctx is not None
            gate = out[:, V:][:, self._ctx_order]  # [B, K]: each candidate its order's gate
            logits.scatter_add_(1, ctx[0], self._ctx_bonus(ctx[1], gate))  # sums of grid values: exact
        return (*self._softmax(logits), gate)

    def _output_fused(self, out: torch.Tensor, pred: torch.Tensor | None,
                      bucket: torch.Tensor | None, ctx: tuple | None) -> tuple:
        """_output after the head's product, in one numba loop (the same operations)."""
        B, V = out.shape[0], self.cfg.vocab
        if self._probs.shape[1:] != (B, V):
            self._probs = torch.empty(self.cfg.bptt, B, V, dtype=torch.float64)
        p64 = self._probs[len(self._cache)]  # [B, V]
        p32 = torch.empty(B, V, dtype=torch.float32)
        cand, cbkt = (ctx[0].numpy(), ctx[1].numpy()) if ctx is not None else (
            np.zeros((B, 0), np.int64), np.zeros((B, 0), np.int64))
        gate = torch.empty(cand.shape, dtype=torch.float64)
        fused.output(out.numpy(), V, pred.numpy() if pred is not None else _NO_INDEX,
                     bucket.numpy() if bucket is not None else _NO_INDEX,
                     self._bonus.numpy() if self.cfg.match else _NO_VALUES,
                     cand, cbkt, self._ctx.numpy() if self.cfg.context else _NO_VALUES,
                     self._ctx_order.numpy() if self.cfg.context else _NO_INDEX,
                     2.0 ** -(WB + AB), 2.0**BB, self.tables["EXP"].numpy(), 2.0**LB, p64.numpy(),
                     p32.numpy(), gate.numpy())
        return p32, p64, gate if ctx is not None else None

    def _ctx_bonus(self, bkt: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        """Each candidate's bonus b·(1 + gate) [..., K], rounded to the 2^-BB grid."""
        b = self._ctx[bkt]
        return quantize(b + b * gate, BB) * 2.0**-BB

    def _softmax(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """exp through the table on each logit's gap to the row's largest, an integer sum, one
        division: (probs float32, probs float64), [B, V] each."""
        gap = logits.max(1, keepdim=True).values - logits  # [B, V] >= 0, exact
        table = self.tables["EXP"]
        e = table[torch.floor(gap * 2.0**LB).clamp_(max=len(table) - 1).long()]  # [B, V] int64
        p = e.double() / e.sum(1, keepdim=True).double()  # [B, V]
        return p.float(), p

    # -- training: the backward pass of the last T steps --

    def set_run_length(self, updates: int) -> None:
        self.total_updates = updates

    def lr_now(self) -> float:
        cfg, w = self.cfg, self.cfg.warmup
        lr = cfg.lr * (min(1.0, (self.updates + 1) / w) if w else 1.0)
        if cfg.lr_end and self.total_updates:
            lr = fixed.geometric(lr, cfg.lr_end / cfg.lr, min(1.0, self.updates / self.total_updates))
        return lr

    @torch.no_grad()
    def train_block(self, targets: torch.Tensor) -> None:
        """One Adam update from the last T steps, whose targets [T, B] are now known."""
        recs, self._cache = self._cache, []
        T, B = targets.shape
        assert len(recs) == T
        N = T * B
        grads: dict[str, torch.Tensor] = {}
        gq = self._output_grad(recs, targets)  # [T, B, V]
        dh = self._head_backward(recs, gq, grads)  # [T, B, L·H]
        dx = self._cells_backward(recs, dh, grads)  # [N, E]
        self._input_backward(recs, dx, grads)
        g = torch.cat([grads[name].reshape(-1) for name in self._offsets]) * (1.0 / N)
        if self.cfg.grad_clip:
            norm = fixed.global_norm(g, loops=self._fused)
            if norm > self.cfg.grad_clip:
                g = g * (self.cfg.grad_clip / norm)
        self.opt.step(g, self.lr_now())
        self.updates += 1
        self._refresh()

    def _output_grad(self, recs: list[dict], targets: torch.Tensor) -> torch.Tensor:
        """dloss/dlogits = p - onehot, as integers on the 2^-GB grid [T, B, V]."""
        if self._fused:
            T = len(recs)
            gq = torch.empty(T, *self._probs.shape[1:], dtype=torch.float64)
            fused.output_grad(self._probs[:T].numpy(), targets.numpy(), 2.0**GB, gq.numpy())
            return gq
        g = torch.stack([r["p"] for r in recs])  # [T, B, V]
        hit = g.gather(2, targets.unsqueeze(2)) - 1.0
        g.scatter_(2, targets.unsqueeze(2), hit)
        return quantize(g, GB)

    def _head_backward(self, recs: list[dict], gq: torch.Tensor, grads: dict) -> torch.Tensor:
        """Gradients of the head, the bonuses and the gates; returns dloss/dh [T, B, L·H]."""
        cfg, V = self.cfg, self.cfg.vocab
        T, B, _ = gq.shape
        hcat = torch.cat([r["hcat"] for r in recs])  # [N, L·H] integers
        g2 = gq.reshape(T * B, V)  # [N, V]
        w, _ = self._head
        head_w = (hcat.t() @ g2) * 2.0 ** -(GB + AB)  # [L·H, V]
        head_b = g2.sum(0) * 2.0**-GB  # [V]
        # (W·gᵀ)ᵀ: MKL runs this orientation of g·Wᵀ twice as fast, and exact sums are equal.
        dh = (w[:, :V] @ g2.t()).t().contiguous() * 2.0 ** -(GB + WB)  # [N, L·H]
        if cfg.match:
            pred = torch.stack([r["pred"] for r in recs])  # [T, B]
            bucket = torch.stack([r["bucket"] for r in recs])
            hit = pred < V
            at = gq.gather(2, torch.where(hit, pred, 0).unsqueeze(2)).squeeze(2) * hit  # [T, B]
            grads["bonus"] = _sums_by_index(bucket.reshape(-1), at.reshape(-1), BUCKETS) * 2.0**-GB
        if cfg.context:
            cand = torch.stack([r["ctx"][0] for r in recs])  # [T, B, K]
            bkt = torch.stack([r["ctx"][1] for r in recs])
            gate = torch.stack([r["gate"] for r in recs])  # [T, B, K]
            gc = gq.gather(2, cand)  # [T, B, K] integers
            n_table = self.ctx_bonus.shape[0]
            d_table = _sums_by_index(bkt.reshape(-1), torch.round(gc * (gate + 1.0)).reshape(-1),
                                     n_table + 1)
            grads["ctx_bonus"] = d_table[:n_table] * 2.0**-GB
            b = self._ctx[bkt]  # [T, B, K] on the 2^-BB grid
            dgate = (gc * b).view(T * B, cfg.context, cfg.ctx_top).sum(2)  # [N, orders]: exact sums
            dgq, s = self._quantize_dynamic(dgate * 2.0**-GB)
            head_w = torch.cat([head_w, (hcat.t() @ dgq) * (s * 2.0**-AB)], 1)  # [L·H, V+orders]
            head_b = torch.cat([head_b, dgq.sum(0) * s])
            dh = dh + (dgq @ w[:, V:].t()) * (s * 2.0**-WB)
        grads["head_w"], grads["head_b"] = head_w, head_b
        return dh.view(T, B, -1)

    def _cells_backward(self, recs: list[dict], dh_all: torch.Tensor, grads: dict) -> torch.Tensor:
        """Backpropagation through time, top layer first; returns dloss/dx [N, E]."""
        cfg = self.cfg
        E, H, L = cfg.embed, cfg.hidden, cfg.layers
        T, B = len(recs), dh_all.shape[1]
        dh_ext = [dh_all[:, :, i * H:(i + 1) * H].clone() for i in range(L)]  # [T, B, H] each
        dx = None
        for i in reversed(range(L)):
            dz = self._layer_bptt(recs, i, dh_ext[i])  # [T, B, 4H]
            dzq, s = self._quantize_dynamic(dz.view(T * B, 4 * H))
            u = torch.cat([r["layers"][i]["u"] for r in recs])  # [N, K+H] integers
            grads[f"cell_w{i}"] = (u.t() @ dzq) * (s * 2.0**-AB)  # [K+H, 4H]
            grads[f"cell_b{i}"] = dzq.sum(0) * s
            w, _ = self._cell[i]
            K = self._inputs(i)
            d_in = (dzq @ w[:K].t()) * (s * 2.0**-WB)  # [N, K]
            dx = d_in[:, :E] if dx is None else dx + d_in[:, :E]
            if i:
                dh_ext[i - 1] = dh_ext[i - 1] + d_in[:, E:].view(T, B, H)
        assert dx is not None
        return dx

    def _layer_bptt(self, recs: list[dict], i: int, dh_ext: torch.Tensor) -> torch.Tensor:
        """dloss/dz [T, B, 4H] of layer i's gate inputs, from the gradients at its outputs
        dh_ext [T, B, H], back through the cell states; roundings passed straight through."""
        H = self.cfg.hidden
        w_rec_t = self._cell[i][0][self._inputs(i):].t()  # [4H, H]
        dz_all = []
        dh_rec = torch.zeros_like(dh_ext[0])
        dc = torch.zeros_like(dh_ext[0])
        for t in reversed(range(len(recs))):
            r = recs[t]["layers"][i]
            if self._fused:
                dz = torch.empty(dc.shape[0], 4 * H, dtype=torch.float64)
                fused.cell_backward(*(x.numpy() for x in (
                    dh_ext[t], dh_rec, dc, r["si"], r["sf"], r["tg"], r["so"], r["tc"],
                    r["c_prev"], dz)))
            else:
                dz, dc = self._cell_backward(r, dh_ext[t] + dh_rec, dc)
            dz_all.append(dz)
            if t:
                dzq, s = self._quantize_dynamic(dz)
                dh_rec = (dzq @ w_rec_t) * (s * 2.0**-WB)  # [B, H]
        return torch.stack(dz_all[::-1])

    def _quantize_dynamic(self, x: torch.Tensor) -> tuple[torch.Tensor, float]:
        """fixed.quantize_dynamic, in one numba loop on the CPU."""
        if not self._fused:
            return quantize_dynamic(x)
        x = x.contiguous()
        out = torch.empty_like(x)
        return out, fused.quantize_dynamic(x.numpy(), GB, out.numpy())

    @staticmethod
    def _cell_backward(r: dict, dh: torch.Tensor, dc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of _layer_bptt: (dz [B, 4H], the dc carried to the step before)."""
        si, sf, tg, so, tc = r["si"], r["sf"], r["tg"], r["so"], r["tc"]
        dso = dh * tc
        dc = dc + (dh * so) * (1.0 - tc * tc)
        dzi = (dc * tg) * (si * (1.0 - si))
        dzf = (dc * r["c_prev"]) * (sf * (1.0 - sf))
        dzg = (dc * si) * (1.0 - tg * tg)
        dzo = dso * (so * (1.0 - so))
        return torch.cat([dzi, dzf, dzg, dzo], 1), dc * sf  # [B, 4H], [B, H]

    def _input_backward(self, recs: list[dict], dx: torch.Tensor, grads: dict) -> None:
        """The embeddings' gradients: sums of integer rows by symbol, in int64."""
        dxq, s = self._quantize_dynamic(dx)  # [N, E]
        prev = torch.cat([r["prev"] for r in recs])  # [N]
        grads["emb"] = _sums_by_index(prev, dxq, self.emb.shape[0]) * s
        if self.cfg.match:
            pred = torch.cat([r["pred"] for r in recs])
            bucket = torch.cat([r["bucket"] for r in recs])
            grads["match_emb"] = _sums_by_index(pred, dxq, self.match_emb.shape[0]) * s
            grads["len_emb"] = _sums_by_index(bucket, dxq, BUCKETS) * s

    # -- checkpoints --

    def snapshot(self) -> dict:
        opt = self.opt.state_dict()
        return {"model": {k: v.cpu().clone() for k, v in self.state_dict().items()},
                "optimizer": {"state": {i: {k: v.cpu().clone() for k, v in s.items()}
                                        for i, s in opt["state"].items()},
                              "param_groups": opt["param_groups"]},
                "updates": self.updates}

    def restore(self, saved: dict) -> None:
        self.load_state_dict(saved["model"])
        self.opt.load_state_dict(saved["optimizer"])
        self.updates = saved["updates"]
        self._cache = []
        self._refresh()

    def network(self) -> dict:
        """What a warm frame starts from: the weights and Adam's state, not the run's position
        (a warm frame's learning-rate schedule starts again)."""
        snap = self.snapshot()
        return {"model": snap["model"], "optimizer": snap["optimizer"]}

    def start_from(self, network: dict) -> None:
        """Continue from another frame's network() (of a config with the same shapes)."""
        self.restore({**network, "updates": 0})


def _sums_by_index(index: torch.Tensor, values: torch.Tensor, size: int) -> torch.Tensor:
    """Sums of integer values [N, ...] by index [N] into [size, ...], in int64 (exact in any
    order), as float64."""
    out = torch.zeros(size, *values.shape[1:], dtype=torch.int64, device=values.device)
    out.index_add_(0, index, values.long())
    return out.double()


def table_index(z: torch.Tensor) -> torch.Tensor:
    """The table entry of gate inputs z held as integers on the 2^-(WB+AB) grid."""
    return fixed.table_index(z, WB + AB)
