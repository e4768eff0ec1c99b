"""Range coding of symbols under per-step categorical distributions (constriction).

All B streams go into one bitstream: at each step the active rows are coded in row order,
and the decoder reads them back in the same order. `perfect=False` is the fast quantiser;
encoder and decoder must agree on it, so it is fixed here and never exposed.
"""
from __future__ import annotations

from importlib.metadata import version

import constriction
import numpy as np

from ..errors import CorruptDataError

_FAMILY = constriction.stream.model.Categorical(perfect=False)
# constriction's categorical models give every symbol at least 2^-24, so one symbol costs at
# least -log2(1 - 255 * 2^-24) bits: the container uses this to bound a header's length claim.
MIN_BITS_PER_SYMBOL = 2.19e-5
# A check word coded uniformly costs 16 real bits of payload, so a decoder past the end of its
# data (it then reads zeros) or desynchronised by damage fails at the next one, whatever the
# header claims. They come after 2^10, 2^11, ... 2^15 symbols, then every 2^15 (0.0005 bits
# per symbol): a lying length is caught early in a small archive and soon in a large one.
FIRST_CHECK = 2**10
CHECK_INTERVAL = 2**15
_CHECK = constriction.stream.model.Uniform(2**16)
_CHECK_WORD = np.array([0xA5C3], np.int32)  # non-zero: an exhausted decoder reads 0
_COUNT = np.dtype("<u4")
VERSION = version("constriction")


def next_check(at: int) -> int:
    return at + min(at, CHECK_INTERVAL)


def _seal(enc) -> bytes:
    """A finished segment: its word count, then its words (little-endian u32)."""
    words = enc.get_compressed().astype(_COUNT, copy=False)
    return np.array([len(words)], _COUNT).tobytes() + words.tobytes()


class SegmentedEncoder:
    """An encoder whose output is a sequence of independently sealed segments (both engines').

    The engine ends a segment at fixed positions (ModelConfig.coder_segment): a checkpoint taken
    there holds the finished segments as plain bytes, so a resumed run continues the same
    bitstream (a coder's own state is never saved). A subclass defines _seal: the current
    segment as bytes, and a fresh one started."""

    def __init__(self, sealed: bytes = b"") -> None:
        self._sealed = [sealed] if sealed else []

    def _seal(self) -> bytes:
        raise NotImplementedError

    def next_segment(self) -> None:
        self._sealed.append(self._seal())

    def sealed(self) -> bytes:
        """The segments finished so far."""
        return b"".join(self._sealed)

    def finish(self) -> bytes:
        return self.sealed() + self._seal()


class SegmentedDecoder:
    """A decoder reading the segments of a SegmentedEncoder one after another; a subclass
    splits the payload into _segments and defines _open (start reading _segments[_index])."""
    _segments: list[np.ndarray]
    _index: int

    def _open(self) -> None:
        raise NotImplementedError

    def next_segment(self) -> None:
        self._index += 1
        if self._index >= len(self._segments):
            raise CorruptDataError("payload has fewer coder segments than its length needs")
        self._open()

    def finish(self) -> bytes:
        if self._index != len(self._segments) - 1:
            raise CorruptDataError("payload has more coder segments than its length needs")
        return b""


class Encoder(SegmentedEncoder):
    """constriction's range encoder (the float engine's coder)."""

    def __init__(self, sealed: bytes = b"") -> None:
        super().__init__(sealed)
        self._enc = constriction.stream.queue.RangeEncoder()

    def code(self, symbols: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Encode symbols [k] under probs [k, V] (float32); returns the symbols."""
        self._enc.encode(symbols.astype(np.int32, copy=False), _FAMILY, probs)
        return symbols

    def check(self) -> None:
        self._enc.encode(_CHECK_WORD, _CHECK)

    def _seal(self) -> bytes:
        out = _seal(self._enc)
        self._enc = constriction.stream.queue.RangeEncoder()
        return out


def _split_segments(payload: bytes) -> list[np.ndarray]:
    words = np.frombuffer(payload, dtype=_COUNT)
    segments, pos = [], 0
    while pos < len(words):
        n = int(words[pos])
        if n > len(words) - pos - 1:
            raise CorruptDataError("payload segment runs past the payload's end")
        segments.append(words[pos + 1:pos + 1 + n].astype(np.uint32))
        pos += 1 + n
    if not segments:
        raise CorruptDataError("payload holds no coder segment")
    return segments


class Decoder(SegmentedDecoder):
    def __init__(self, payload: bytes) -> None:
        if len(payload) % 4:
            raise CorruptDataError("payload length is not a multiple of 4")
        self._segments = _split_segments(payload)
        self._index = 0
        self._open()

    def _open(self) -> None:
        self._dec = constriction.stream.queue.RangeDecoder(self._segments[self._index])

    def code(self, symbols: np.ndarray | None, probs: np.ndarray) -> np.ndarray:
        """Decode k = len(probs) symbols under probs [k, V]."""
        return self._decode(_FAMILY, probs)

    def check(self) -> None:
        if self._decode(_CHECK, 1)[0] != _CHECK_WORD[0]:
            raise CorruptDataError("payload check word mismatch: the archive is damaged or "
                                   "claims more data than it holds")

    def _decode(self, *args) -> np.ndarray:
        try:
            return self._dec.decode(*args)
        except (AssertionError, ValueError, RuntimeError):
            # constriction refuses data no encoder could have produced under these probabilities.
            raise CorruptDataError("the payload is invalid for the model: damaged archive") from None
