"""nncomp: lossless compression with an online-trained neural predictor and a range coder.

    blob = nncomp.compress(data, "default")        # bytes -> bytes (lzma-style one-shots)
    data = nncomp.decompress(blob)
    nncomp.compress_stream(src, dst, "fast")       # file objects, bounded memory
    with nncomp.open("log.nnc", "wt") as f: ...    # gzip.open-style file objects
    c = nncomp.Compressor("max", threads=2)        # options held once, then c.compress(...)

Every failure a user can cause raises an NNCompError. Importing nncomp is light: torch (~2 s)
is imported only when a model runs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (CheckpointError, CorruptDataError, EnvironmentMismatchError, LimitError,
                     NNCompError, TruncatedDataError)

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and IDEs
    from .api import (compress, compress_info, compress_stream, decompress, decompress_stream,
                      info, info_stream)
    from .checkpoint import Checkpoint
    from .config import ModelConfig
    from .compressor import (DEFAULT_BLOCK_SIZE, DEFAULT_MAX_PARAMS, CompressInfo, Compressor,
                             Decompressor)
    from .fileobj import NNCompFile, open
    from .frame import FrameInfo
    from .presets import PRESETS
    from .system.malloc import keep_freed_memory

_LAZY = {"compress": "api", "compress_info": "api", "decompress": "api", "info": "api",
         "info_stream": "api", "compress_stream": "api", "decompress_stream": "api",
         "Compressor": "compressor", "Decompressor": "compressor",
         "DEFAULT_BLOCK_SIZE": "compressor", "DEFAULT_MAX_PARAMS": "compressor",
         "CompressInfo": "frame", "FrameInfo": "frame", "PRESETS": "presets",
         "Checkpoint": "checkpoint", "ModelConfig": "config",
         "keep_freed_memory": "system.malloc", "open": "fileobj", "NNCompFile": "fileobj"}


def __getattr__(name: str) -> Any:
    """The codec's names, imported on first use (the CLI's -l, -V and --help stay light)."""
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'nncomp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__", "compress", "compress_info", "decompress", "info", "info_stream",
    "CompressInfo", "FrameInfo", "compress_stream", "decompress_stream", "DEFAULT_BLOCK_SIZE",
    "DEFAULT_MAX_PARAMS", "Compressor", "Decompressor", "Checkpoint", "CheckpointError",
    "NNCompError", "CorruptDataError", "TruncatedDataError", "EnvironmentMismatchError",
    "LimitError", "PRESETS", "keep_freed_memory", "open", "NNCompFile",
]
