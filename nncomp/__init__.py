"""nncomp: lossless compression with an online-trained neural predictor and a range coder."""
from __future__ import annotations

from ._version import __version__
from .api import CompressInfo, FrameInfo, compress, compress_info, decompress, info
from .errors import (CorruptDataError, EnvironmentMismatchError, LimitError, NNCompError,
                     TruncatedDataError)
from .presets import PRESETS

__all__ = [
    "__version__", "compress", "compress_info", "decompress", "info", "CompressInfo", "FrameInfo",
    "NNCompError", "CorruptDataError", "TruncatedDataError", "EnvironmentMismatchError",
    "LimitError", "PRESETS",
]
