"""The LSTM: the network every preset runs (an embedding, L stacked LSTM layers that each also
see the embedding, and a linear head over all layers' outputs; nncomp/net/base.py adds the match
and context parts)."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from .base import DTYPES, Predictor

_CELL_WEIGHTS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


class LSTMPredictor(Predictor):
    """Embedding -> L LSTM layers (each also sees the embedding) -> linear head over all layers."""

    graphable = True

    def __init__(self, cfg: ModelConfig, device: str | torch.device = "cpu"):
        super().__init__()
        self.cfg = cfg
        E, H, L, V = cfg.embed, cfg.hidden, cfg.layers, cfg.vocab
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.embed = nn.Embedding(V, E)
            self.lstms = nn.ModuleList(nn.LSTM(E if i == 0 else E + H, H) for i in range(L))
            self.head = nn.Linear(L * H, V)
            self._init_features(E, L * H)
        self._finish_init(device)

    def initial_state(self, B: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        dt = DTYPES[self.cfg.dtype]
        z = torch.zeros(B, self.cfg.hidden, dtype=dt, device=self.device)
        return [(z.clone(), z.clone()) for _ in range(self.cfg.layers)]

    def block_start(self, state: list) -> list:
        """What training the next block starts from: the states before its first step."""
        return [(h.clone(), c.clone()) for h, c in state]

    def _core_weights(self, dt: torch.dtype) -> dict[str, torch.Tensor]:
        return {f"{i}.{name}": getattr(m, name).detach().to(dt)
                for i, m in enumerate(self.lstms) for name in _CELL_WEIGHTS}

    def _predict(self, prev: torch.Tensor, state: list, pred: torch.Tensor | None,
                 bucket: torch.Tensor | None, ctx: tuple | None = None) -> tuple[torch.Tensor, list]:
        """step without side effects: (probs [B, V], the new per-layer (h, c))."""
        w = self._w
        x = self._step_input(prev, pred, bucket)  # [B, E]
        inp, outs, new = x, [], []
        for i in range(self.cfg.layers):
            cell = [w[f"{i}.{n}"] for n in _CELL_WEIGHTS]
            h, c = torch.lstm_cell(inp, state[i], *cell)  # [B, H] each
            new.append((h, c))
            outs.append(h)
            inp = torch.cat([x, h], 1)  # [B, E+H]
        return self._step_output(torch.cat(outs, 1), pred, bucket, ctx), new

    def features(self, inputs: torch.Tensor, state: list, pred: torch.Tensor | None = None,
                 bucket: torch.Tensor | None = None) -> torch.Tensor:
        """inputs, pred, bucket: [T, B] int64; state: per-layer (h, c) [B, H]. Returns the
        head's input [T, B, L·H]."""
        x = self._input(inputs, pred, bucket)  # [T, B, E]
        inp, outs = x, []
        for i, lstm in enumerate(self.lstms):
            h0, c0 = (s.float().unsqueeze(0) for s in state[i])  # [1, B, H]
            out, _ = lstm(inp, (h0, c0))  # [T, B, H]
            outs.append(out)
            inp = torch.cat([x, out], 2)  # [T, B, E+H]
        return torch.cat(outs, 2)  # [T, B, L·H]
