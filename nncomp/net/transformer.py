"""A Transformer predictor (NNCP 2024 style), the alternative to the LSTM: pre-norm blocks,
rotary positions, GEGLU feed-forward, and a memory of the last positions of each stream.

Stepwise, each layer keeps the keys and values of the last R = memory + bptt positions in a ring
([B, heads, R, head width]); a step writes its own and attends to the last `memory` of them
(itself included), so decoding costs the same at every position (a KV cache). Training on a
block of T positions recomputes their keys and values with gradients and takes the older ones
it attends to from the ring, as they were computed then (no gradient): Transformer-XL's memory.
The ring is R long so that training still finds the positions before the block.

Rotary angles are position × frequency in float64, rounded once: keys are stored rotated, so
attention only sees relative positions.
"""
from __future__ import annotations

from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import ModelConfig
from .base import DTYPES, Predictor


class Block(nn.Module):
    """Pre-norm attention and GEGLU feed-forward (width 2·D), both residual."""
    ln1: nn.LayerNorm
    qkv: nn.Linear
    proj: nn.Linear
    ln2: nn.LayerNorm
    ff_in: nn.Linear
    ff_out: nn.Linear

    def __init__(self, D: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D, bias=False)
        self.proj = nn.Linear(D, D, bias=False)
        self.ln2 = nn.LayerNorm(D)
        self.ff_in = nn.Linear(D, 4 * D, bias=False)  # two halves: value and gate
        self.ff_out = nn.Linear(2 * D, D, bias=False)


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding of x [..., dh] with cos, sin [..., dh/2] (broadcast)."""
    a, b = x.chunk(2, -1)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], -1)


class TransformerPredictor(Predictor):
    """Embedding -> L blocks -> final norm -> linear head (with the shared match/context parts)."""
    blocks: nn.ModuleList
    norm: nn.LayerNorm
    pos: torch.Tensor  # the next position to predict: a buffer, saved with the weights

    def __init__(self, cfg: ModelConfig, device: str | torch.device = "cpu"):
        super().__init__()
        if torch.device(device).type != "cpu":
            raise ValueError("the Transformer predictor runs on the CPU only for now")
        self.cfg = cfg
        D, L, V = cfg.hidden, cfg.layers, cfg.vocab
        self.heads, self.dh = cfg.heads, D // cfg.heads
        self.ring = cfg.memory + cfg.bptt  # R
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.embed = nn.Embedding(V, D)
            self.blocks = nn.ModuleList(Block(D) for _ in range(L))
            self.norm = nn.LayerNorm(D)
            self.head = nn.Linear(D, V)
            self._init_features(D, D)
            for blk in self._blocks():  # residual branches start small: near identity at first
                for lin in (blk.proj, blk.ff_out):
                    lin.weight.data.mul_(1.0 / (2 * L) ** 0.5)
        # The next position to predict (steps taken so far): saved with the weights.
        self.register_buffer("pos", torch.zeros((), dtype=torch.long))
        self._inv_freq = 10000.0 ** (-np.arange(0, self.dh, 2, dtype=np.float64) / self.dh)
        self._finish_init(device)

    def _blocks(self) -> list[Block]:
        return cast(list[Block], list(self.blocks))

    def initial_state(self, B: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the key and value rings [B, heads, R, dh]."""
        dt = DTYPES[self.cfg.dtype]
        z = torch.zeros(B, self.heads, self.ring, self.dh, dtype=dt, device=self.device)
        return [(z.clone(), z.clone()) for _ in range(self.cfg.layers)]

    def block_start(self, state: list) -> list:
        """The rings themselves: they still hold what the next block's training needs."""
        return state

    def _core_weights(self, dt: torch.dtype) -> dict[str, torch.Tensor]:
        w = {"norm_w": self.norm.weight.detach().to(dt), "norm_b": self.norm.bias.detach().to(dt)}
        for i, blk in enumerate(self.blocks):
            for name in ("ln1", "ln2"):
                w[f"{i}.{name}_w"] = getattr(blk, name).weight.detach().to(dt)
                w[f"{i}.{name}_b"] = getattr(blk, name).bias.detach().to(dt)
            for name in ("qkv", "proj", "ff_in", "ff_out"):
                w[f"{i}.{name}"] = getattr(blk, name).weight.detach().to(dt).t().contiguous()  # [in, out]
        return w

    def _angles(self, positions: np.ndarray, dt: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """cos, sin [len(positions), dh/2] of the rotary angles."""
        a = positions.astype(np.float64)[:, None] * self._inv_freq[None, :]
        return (torch.from_numpy(np.cos(a)).to(self.device, dt),
                torch.from_numpy(np.sin(a)).to(self.device, dt))

    def _window(self, queries: np.ndarray, keys: np.ndarray) -> torch.Tensor:
        """Which key positions each query position sees [Q, K]: the last `memory`, itself
        included, none before the start."""
        q, k = queries[:, None], keys[None, :]
        ok = (k >= 0) & (k <= q) & (k > q - self.cfg.memory)
        return torch.from_numpy(ok).to(self.device)

    def _predict(self, prev: torch.Tensor, state: list, pred: torch.Tensor | None,
                 bucket: torch.Tensor | None, ctx: tuple | None = None) -> tuple[torch.Tensor, list]:
        """One position of every stream; writes its keys and values into the rings in place."""
        w, D, R = self._w, self.cfg.hidden, self.ring
        p = int(self.pos)
        dt = DTYPES[self.cfg.dtype]
        cos, sin = self._angles(np.array([p]), dt)  # [1, dh/2]
        slots = np.arange(R)
        mask = self._window(np.array([p]), p - (p - slots) % R)  # [1, R]: the position in each slot
        x = self._step_input(prev, pred, bucket)  # [B, D]
        B = x.shape[0]
        for i, (K, V) in enumerate(state):
            h = F.layer_norm(x, (D,), w[f"{i}.ln1_w"], w[f"{i}.ln1_b"])
            q, k, v = (h @ w[f"{i}.qkv"]).view(B, 3, self.heads, self.dh).unbind(1)  # [B, heads, dh]
            K[:, :, p % R] = rotate(k, cos, sin)
            V[:, :, p % R] = v
            att = F.scaled_dot_product_attention(rotate(q, cos, sin).unsqueeze(2), K, V,
                                                 attn_mask=mask)  # [B, heads, 1, dh]
            x = x + att.reshape(B, D) @ w[f"{i}.proj"]
            h = F.layer_norm(x, (D,), w[f"{i}.ln2_w"], w[f"{i}.ln2_b"])
            a, g = (h @ w[f"{i}.ff_in"]).chunk(2, -1)  # [B, 2D] each
            x = x + (F.gelu(a) * g) @ w[f"{i}.ff_out"]
        self.pos += 1
        h = F.layer_norm(x, (D,), w["norm_w"], w["norm_b"])
        return self._step_output(h, pred, bucket, ctx), state

    def features(self, inputs: torch.Tensor, state: list, pred: torch.Tensor | None = None,
                 bucket: torch.Tensor | None = None) -> torch.Tensor:
        """The T positions just coded (inputs, pred, bucket [T, B]), the rings (state) holding
        their predecessors. Returns the head's input [T, B, D]."""
        T, B = inputs.shape
        D, R, M = self.cfg.hidden, self.ring, self.cfg.memory
        p0 = int(self.pos) - T  # the block's first position
        mem_pos = np.arange(p0 - M + 1, p0)  # [M-1] the older positions the block may see
        mem_slots = torch.from_numpy(mem_pos % R).to(self.device)
        blk_pos = np.arange(p0, p0 + T)
        mask = self._window(blk_pos, np.concatenate([mem_pos, blk_pos]))  # [T, M-1+T]
        cos32, sin32 = self._angles(blk_pos, torch.float32)  # [T, dh/2]
        x = self._input(inputs, pred, bucket).transpose(0, 1)  # [B, T, D]
        for blk, (K, V) in zip(self._blocks(), state):
            h = blk.ln1(x)
            q, k, v = blk.qkv(h).view(B, T, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)  # [B, heads, T, dh]
            cos, sin = cos32.to(q.dtype), sin32.to(q.dtype)
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
            keys = torch.cat([K[:, :, mem_slots].to(k.dtype), k], 2)  # [B, heads, M-1+T, dh]
            values = torch.cat([V[:, :, mem_slots].to(v.dtype), v], 2)
            att = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)  # [B, heads, T, dh]
            x = x + blk.proj(att.transpose(1, 2).reshape(B, T, D))
            a, g = blk.ff_in(blk.ln2(x)).chunk(2, -1)
            x = x + blk.ff_out(F.gelu(a) * g)
        return self.norm(x).transpose(0, 1)  # [T, B, D]
