"""Range coding of symbols under per-step categorical distributions (constriction).

All B streams go into one bitstream: at each step the active rows are coded in row order,
and the decoder reads them back in the same order. `perfect=False` is the fast quantiser;
encoder and decoder must agree on it, so it is fixed here and never exposed.
"""
from __future__ import annotations

from importlib.metadata import version

import constriction
import numpy as np

from .errors import CorruptDataError

_FAMILY = constriction.stream.model.Categorical(perfect=False)
# constriction's categorical models give every symbol at least 2^-24, so one symbol costs at
# least -log2(1 - 255 * 2^-24) bits: the container uses this to bound a header's length claim.
MIN_BITS_PER_SYMBOL = 2.19e-5
VERSION = version("constriction")


class Encoder:
    def __init__(self) -> None:
        self._enc = constriction.stream.queue.RangeEncoder()

    def code(self, symbols: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Encode symbols [k] under probs [k, V] (float32); returns the symbols."""
        self._enc.encode(symbols.astype(np.int32, copy=False), _FAMILY, probs)
        return symbols

    def finish(self) -> bytes:
        return self._enc.get_compressed().astype("<u4", copy=False).tobytes()


class Decoder:
    def __init__(self, payload: bytes) -> None:
        if len(payload) % 4:
            raise CorruptDataError("payload length is not a multiple of 4")
        words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
        self._dec = constriction.stream.queue.RangeDecoder(words)

    def code(self, symbols: np.ndarray | None, probs: np.ndarray) -> np.ndarray:
        """Decode k = len(probs) symbols under probs [k, V]."""
        try:
            return self._dec.decode(_FAMILY, probs)
        except (AssertionError, ValueError, RuntimeError):
            # constriction refuses data no encoder could have produced under these probabilities.
            raise CorruptDataError("the payload is invalid for the model: damaged archive") from None

    def finish(self) -> bytes:
        return b""
