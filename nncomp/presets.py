"""Named model configurations. A preset only picks a config: the file stores the config itself,
so retuning a preset never breaks old archives."""
from __future__ import annotations

from .model import LSTMConfig

PRESETS: dict[str, LSTMConfig] = {
    # Milliseconds per example: for tests, not for data.
    # Many coder segments, so that tests exercise segment switching and checkpoints.
    "test": LSTMConfig(embed=8, hidden=16, layers=1, bptt=8, lr=1e-2, warmup=10, max_streams=4,
                       stream_len=4096, match=True, coder_segment=1024),
    "fast": LSTMConfig(embed=32, hidden=128, layers=1, bptt=20, lr=5e-3, warmup=50,
                       max_streams=64, stream_len=100_000, match=True),
    "default": LSTMConfig(lr=3e-3, bptt=32, match=True),
}
DEFAULT_PRESET = "default"


def get(name: str) -> LSTMConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
