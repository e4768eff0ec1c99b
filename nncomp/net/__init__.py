"""The networks of the predictor stack (torch): one per file, `build` picks the one a config names.

    base.py         what every network shares: embedding, match and context parts, head, Adam
    exact.py        the LSTM every preset runs, in exact arithmetic (any machine decodes)
    fixed.py        that arithmetic: integer grids, tables, exact GEMMs, Adam in single operations
    lstm.py         the LSTM of engine-2 archives (floats: one machine type decodes)
    transformer.py  a Transformer with a key/value memory (arch="transformer")
    graphed.py      a step replayed as one CUDA graph
    optim.py        Adam as torch's fused kernel computes it
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from ..config import ModelConfig
    from .base import Predictor


def build(cfg: "ModelConfig", device: "str | torch.device" = "cpu") -> "Predictor":
    """The network a config names, initialised from its seed (the same start on any device)."""
    if cfg.exact:
        from .exact import ExactLSTM
        return ExactLSTM(cfg, device)  # type: ignore[return-value]
    if cfg.arch == "transformer":
        from .transformer import TransformerPredictor
        return TransformerPredictor(cfg, device)
    from .lstm import LSTMPredictor
    return LSTMPredictor(cfg, device)
