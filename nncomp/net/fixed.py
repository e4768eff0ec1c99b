"""The exact engine's arithmetic: fixed-point grids, lookup tables, the exact GEMM rule, exact
initial weights and an Adam written in single IEEE operations (docs/FORMAT.md, "Exact engine").

The rule every function here keeps: a number that decides a probability is computed the same
on any CPU or GPU, with any kernel, vector width or thread count. So
- GEMMs multiply float64 tensors holding integers (weights on a grid of 2^-WB, activations on
  2^-AB, gradients scaled to at most 2^GB), bounded so that every partial sum is an integer
  below 2^53: exact in any order, with or without fused multiply-adds;
- sums are over integers (float64 below 2^53, or int64);
- sigmoid, tanh and exp are tables indexed by floor(x · 2^LB), their entries computed once by
  Python's decimal module (correctly rounded, no platform libm) and rounded to a grid;
- everything else is one correctly rounded IEEE operation at a time (+ - × ÷ sqrt, round,
  floor, clamp, max), never a compound kernel (addcmul, lerp, torch's fused Adam, autocast);
- no torch random numbers: initial weights come from a counter hash (splitmix64) in integers.
"""
from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache

import numpy as np
import torch

from ..config import exact_sums_fit
from . import fused
from .optim import param_groups

AB = 15  # activations on a grid of 2^-15 (|x| <= XMAX)
WB = 16  # weights on a grid of 2^-16 (|w| <= WMAX)
GB = 16  # gradients scaled to integers of at most 2^16 in magnitude
BB = 16  # logit bonuses on a grid of 2^-16
XMAX = 8.0
WMAX = 8.0
LB = 8  # table inputs: floor(x · 2^8), one entry per 1/256
SPAN = 8  # sigmoid and tanh tables cover [-8, 8)
VB = 15  # sigmoid and tanh values on a grid of 2^-15
EXP_SPAN = 20  # exp(-d) for logit gaps d in [0, 20); beyond, the last entry
EXP_BITS = 30  # exp values as integers: round(2^30 · exp(-d))


def check_shapes(K: int, N: int, V: int) -> None:
    """Refuse shapes whose GEMMs could leave the exact range (config.exact_sums_fit)."""
    if not exact_sums_fit(K, N, V):
        raise ValueError("the exact engine cannot hold these shapes' sums exactly "
                         f"(inputs {K}, block rows {N}, symbols {V})")


def _round_grid(x: Decimal, bits: int) -> int:
    """round(x · 2^bits), half to even, exactly."""
    with localcontext() as ctx:
        ctx.prec = 60
        return int((x * (1 << bits)).to_integral_value())


@lru_cache(maxsize=None)
def _exp_midpoints() -> list[Decimal]:
    """exp(-(j + 1/2) / 2^LB) for j = 0 .. EXP_SPAN·2^LB - 1, to 40 digits: two decimal exps
    (correctly rounded) and products by the step's factor (a relative error under 10^-35)."""
    with localcontext() as ctx:
        ctx.prec = 40
        step = (-Decimal(1) / (1 << LB)).exp()
        e = (-Decimal(1) / (2 << LB)).exp()
        out = []
        for _ in range(EXP_SPAN << LB):
            out.append(e)
            e *= step
        return out


@lru_cache(maxsize=None)
def tables(device: str) -> dict[str, torch.Tensor]:
    """SIG and TANH [2·SPAN·2^LB] float64 on the 2^-VB grid, entry j for inputs in
    [(j - SPAN·2^LB) / 2^LB, +1/2^LB), valued at the interval's midpoint; EXP [EXP_SPAN·2^LB]
    int64, entry j = round(2^EXP_BITS · exp(-(j + 1/2) / 2^LB)), at least 1."""
    n = SPAN << LB
    e = _exp_midpoints()
    sig_pos, tanh_pos = [], []  # at x = (j + 1/2) / 2^LB, j = 0 .. n - 1
    with localcontext() as ctx:
        ctx.prec = 40
        for j in range(n):
            sig_pos.append(_round_grid(1 / (1 + e[j]), VB))
            sq = e[j] * e[j]  # exp(-2x)
            tanh_pos.append(_round_grid((1 - sq) / (1 + sq), VB))
        sig_neg = [_round_grid(e[j] / (1 + e[j]), VB) for j in range(n)]
    sig = sig_neg[::-1] + sig_pos  # entry j: midpoint (j - n + 1/2) / 2^LB
    tanh = [-v for v in tanh_pos[::-1]] + tanh_pos
    exps = [max(1, _round_grid(x, EXP_BITS)) for x in e]
    scale = 2.0 ** -VB
    return {"SIG": torch.tensor(sig, dtype=torch.float64, device=device) * scale,
            "TANH": torch.tensor(tanh, dtype=torch.float64, device=device) * scale,
            "EXP": torch.tensor(exps, dtype=torch.int64, device=device)}


def table_index(x: torch.Tensor, scale_bits: int = 0) -> torch.Tensor:
    """The sigmoid/tanh table entry of x · 2^-scale_bits (x float64): floor(x · 2^(LB -
    scale_bits)), clamped to the table, as an index from 0."""
    n = SPAN << LB
    return (torch.floor(x * 2.0 ** (LB - scale_bits)).clamp_(-n, n - 1) + n).long()


def quantize(x: torch.Tensor, bits: int) -> torch.Tensor:
    """round(x · 2^bits) (half to even), as float64 integers."""
    return torch.round(x * 2.0 ** bits)


def quantize_dynamic(x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(q, s) with x ≈ q · s: q integers of magnitude at most 2^GB, s a power of two from x's
    largest magnitude (a max: the same in any order)."""
    m = float(x.abs().max()) if x.numel() else 0.0
    if m == 0.0:
        return torch.zeros_like(x), 1.0
    e = math.frexp(m)[1]  # m = f · 2^e, 1/2 <= f < 1
    return torch.round(x * 2.0 ** (GB - e)), 2.0 ** (e - GB)


def global_norm(g: torch.Tensor, loops: bool = False) -> float:
    """The Euclidean norm of a flat gradient, exactly the same everywhere: rounded to a 2^-15
    grid relative to its largest magnitude, squared and summed in int64 (loops: as one numba
    pass, on the CPU)."""
    m = float(g.abs().max()) if g.numel() else 0.0
    if m == 0.0:
        return 0.0
    e = math.frexp(m)[1]
    if loops:
        total = int(fused.square_sum(g.numpy(), 2.0 ** (15 - e)))
    else:
        q = torch.round(g * 2.0 ** (15 - e)).long()
        total = int((q * q).sum())
    return math.sqrt(total) * 2.0 ** (e - 15)


def geometric(a: float, ratio: float, frac: float) -> float:
    """a · ratio^frac, correctly rounded (decimal's ln and exp), for a learning-rate schedule."""
    with localcontext() as ctx:
        ctx.prec = 34
        return float(Decimal(a) * (Decimal(ratio).ln() * Decimal(frac)).exp())


def initial_bonus(orders: int) -> torch.Tensor:
    """models.context.initial_bonus on the 2^-BB grid, from decimal's ln: ln(1 + 4·p) for a
    smoothed frequency p per (count, share) bucket, times 0.5 + 0.25·order [orders · 42]."""
    n_mid = [1, 2, 3, 6, 12, 24, 64]
    f_mid = [Decimal(x) for x in ("0.08", "0.18", "0.37", "0.62", "0.85", "1.0")]
    out = []
    with localcontext() as ctx:
        ctx.prec = 34
        for o in range(orders):
            weight = Decimal("0.5") + Decimal("0.25") * o
            for n in n_mid:
                for f in f_mid:
                    p = f * n / (n + 1)
                    out.append(_round_grid((1 + 4 * p).ln() * weight, BB))
    return torch.tensor(out, dtype=torch.float64) * 2.0**-BB


def powi(b: float, k: int) -> float:
    """b^k by repeated squaring: a fixed sequence of IEEE products (no libm pow)."""
    out, base = 1.0, b
    while k:
        if k & 1:
            out *= base
        base *= base
        k >>= 1
    return out


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def uniform(seed: int, stream: int, shape: tuple[int, ...], bound: float) -> torch.Tensor:
    """Weights uniform in [-bound, bound) on the 2^-WB grid, from splitmix64 over a counter:
    integers only until one product by bound and one rounding."""
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        start = np.uint64((seed * 1_000_003 + stream) & (2**64 - 1)) * _GOLDEN
        z = start + (np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) * 2.0**-23 - 1.0  # [-1, 1) on a 2^-23 grid
    w = torch.from_numpy(u.reshape(shape)) * bound
    return quantize(w, WB) * 2.0**-WB


class ExactAdam:
    """Adam over one flat float64 vector of parameters, one IEEE operation at a time, with bias
    corrections from powi. state_dict has torch.optim's layout, one entry per parameter
    (what checkpoints check); `views` are (offset, shape) of each parameter in the vector."""

    def __init__(self, flat: torch.Tensor, views: list[tuple[int, torch.Size]],
                 betas: tuple[float, float], eps: float, loops: bool = False):
        self.flat, self.views, self.betas, self.eps = flat, views, betas, eps
        self.loops = loops  # one numba pass (fused.adam) instead of a torch operation each
        self.lr = 0.0
        self.steps = 0
        self.exp_avg = torch.zeros_like(flat)
        self.exp_avg_sq = torch.zeros_like(flat)

    def step(self, g: torch.Tensor, lr: float) -> None:
        """One update with the flat gradient g and learning rate lr."""
        b1, b2 = self.betas
        self.lr = lr
        self.steps += 1
        bc1, bc2 = 1.0 - powi(b1, self.steps), 1.0 - powi(b2, self.steps)
        if self.loops:
            fused.adam(self.flat.numpy(), g.numpy(), self.exp_avg.numpy(), self.exp_avg_sq.numpy(),
                       b1, b2, 1.0 / bc2, self.eps, lr / bc1, WMAX)
            return
        if b1:
            self.exp_avg.mul_(b1).add_(g * (1.0 - b1))
        else:
            self.exp_avg = g
        sq = g * g
        self.exp_avg_sq.mul_(b2).add_(sq.mul_(1.0 - b2))
        denom = (self.exp_avg_sq * (1.0 / bc2)).sqrt_().add_(self.eps)
        update = torch.div(self.exp_avg, denom, out=denom).mul_(lr / bc1)
        self.flat.sub_(update).clamp_(-WMAX, WMAX)

    def _view(self, t: torch.Tensor, i: int) -> torch.Tensor:
        o, shape = self.views[i]
        return t[o:o + shape.numel()].view(shape)

    def state_dict(self) -> dict:
        state = {} if not self.steps else {
            i: {"step": torch.tensor(float(self.steps)), "exp_avg": self._view(self.exp_avg, i),
                "exp_avg_sq": self._view(self.exp_avg_sq, i)} for i in range(len(self.views))}
        return {"state": state,
                "param_groups": param_groups(self.lr, self.betas, self.eps, len(self.views))}

    def load_state_dict(self, saved: dict) -> None:
        self.lr = saved["param_groups"][0]["lr"]
        self.steps = 0
        self.exp_avg.zero_()
        self.exp_avg_sq.zero_()
        for i, s in saved["state"].items():
            self.steps = int(s["step"])
            self._view(self.exp_avg, int(i)).copy_(s["exp_avg"])
            self._view(self.exp_avg_sq, int(i)).copy_(s["exp_avg_sq"])
