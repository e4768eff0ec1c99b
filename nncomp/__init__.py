"""nncomp: lossless compression with an online-trained neural predictor and a range coder."""
from __future__ import annotations

from typing import Any

from ._version import __version__
from .errors import (CorruptDataError, EnvironmentMismatchError, LimitError, NNCompError,
                     TruncatedDataError)

_LAZY = {"compress": "api", "compress_info": "api", "decompress": "api", "info": "api",
         "info_stream": "api", "compress_stream": "api", "decompress_stream": "api",
         "DEFAULT_BLOCK_SIZE": "api", "CompressInfo": "api", "FrameInfo": "api", "PRESETS": "presets",
         "Checkpoint": "checkpoint", "CheckpointError": "checkpoint",
         "keep_freed_memory": "malloc", "open": "fileobj", "NNCompFile": "fileobj"}


def __getattr__(name: str) -> Any:
    """Import torch only when the codec is used: `nncomp.bench` workers for gzip/xz stay light."""
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'nncomp' has no attribute {name!r}")

__all__ = [
    "__version__", "compress", "compress_info", "decompress", "info", "info_stream",
    "CompressInfo", "FrameInfo", "compress_stream", "decompress_stream", "DEFAULT_BLOCK_SIZE",
    "Checkpoint", "CheckpointError", "NNCompError", "CorruptDataError", "TruncatedDataError",
    "EnvironmentMismatchError", "LimitError", "PRESETS", "keep_freed_memory", "open", "NNCompFile",
]
