"""The exact engine's range coder: integer frequencies, integer arithmetic, specified to the bit
(docs/FORMAT.md, "Exact engine"), so any implementation decodes what any other encoded.

A row of probabilities becomes frequencies by one rule (`_frequencies`): symbol s gets
1 + floor(p_s · M) with M = 2^24 - 2V, computed in float64 from the float32 probability (a
product of a 24-bit and a 25-bit integer: exact), so a row's total is at most 2^24. The coder
keeps a 56-bit `low` and a `range` in [2^48, 2^56): a symbol with cumulative frequency c and
frequency f under total T narrows it to r = floor(range / T), low += c·r, range = f·r, and
bytes leave from the top while range < 2^48, with LZMA's carry handling (a pending byte and a
count of 0xFF bytes after it). At most one byte in 2^24 of range is lost to the floor: about
2^-24 bits per symbol.

A payload is a sequence of segments, each a little-endian u32 byte count followed by its bytes
(a segment ends where the engine's checkpoints may resume).
"""
from __future__ import annotations

import numpy as np

from ..errors import CorruptDataError
from ..models.kernels import njit
from .coder import SegmentedDecoder, SegmentedEncoder

PRECISION = 24  # a row's frequencies total at most 2^PRECISION
TOP = np.uint64(1 << 56)
BOTTOM = np.uint64(1 << 48)
MASK48 = np.uint64((1 << 48) - 1)
FLUSH_BYTES = 8  # the pending byte and low's seven
_COUNT = np.dtype("<u4")


@njit(cache=True)
def _frequencies(p, freq):
    """freq [V] int64 from probabilities p [V] float32: 1 + floor(p·M), M = 2^24 - 2V. Returns
    the cumulative total."""
    V = p.shape[0]
    m = np.float64((1 << 24) - 2 * V)
    total = 0
    for s in range(V):
        f = 1 + np.int64(np.floor(np.float64(p[s]) * m))
        freq[s] = f
        total += f
    return total


@njit(cache=True)
def _shift_low(st, out, pos):
    """Move low's top byte out (LZMA's ShiftLow on a 56-bit low). st: [low, range, cache,
    pending]; returns the new write position."""
    low = st[0]
    if low < np.uint64(0xFF) << np.uint64(48) or low >= TOP:
        carry = low >> np.uint64(56)
        temp = st[2]
        while True:
            out[pos] = np.uint8((temp + carry) & np.uint64(0xFF))
            pos += 1
            temp = np.uint64(0xFF)
            st[3] -= np.uint64(1)
            if st[3] == 0:
                break
        st[2] = (low >> np.uint64(48)) & np.uint64(0xFF)
    st[3] += np.uint64(1)
    st[0] = (low & MASK48) << np.uint64(8)
    return pos


@njit(cache=True)
def _encode_one(st, out, pos, start, size, total):
    r = st[1] // np.uint64(total)
    st[0] += np.uint64(start) * r
    st[1] = np.uint64(size) * r
    while st[1] < BOTTOM:
        st[1] <<= np.uint64(8)
        pos = _shift_low(st, out, pos)
    return pos


@njit(cache=True)
def _encode_rows(st, out, pos, symbols, probs, freq):
    for i in range(symbols.shape[0]):
        total = _frequencies(probs[i], freq)
        s = symbols[i]
        start = 0
        for j in range(s):
            start += freq[j]
        pos = _encode_one(st, out, pos, start, freq[s], total)
    return pos


@njit(cache=True)
def _next_byte(data, at):
    return np.uint64(data[at[0]]) if at[0] < data.shape[0] else np.uint64(0)


@njit(cache=True)
def _consume(st, data, at, start, size, r):
    """The decoder's side of _encode_one, once the symbol [start, start + size) is known: take
    it off the code (st[0]) and the range, then read bytes while the range is under 2^48."""
    st[0] -= np.uint64(start) * r
    st[1] = np.uint64(size) * r
    while st[1] < BOTTOM:
        st[0] = (st[0] << np.uint64(8)) | _next_byte(data, at)
        at[0] += 1
        st[1] <<= np.uint64(8)


@njit(cache=True)
def _decode_one(st, data, at, cum, total):
    """The symbol whose cumulative range holds the code (cum [V + 1]); -1 if none can."""
    r = st[1] // np.uint64(total)
    v = st[0] // r  # st[0] is the code here
    if v >= np.uint64(total):
        return -1
    s = np.searchsorted(cum, np.int64(v), side="right") - 1
    _consume(st, data, at, cum[s], cum[s + 1] - cum[s], r)
    return s


@njit(cache=True)
def _decode_rows(st, data, at, probs, freq, cum, out):
    for i in range(probs.shape[0]):
        total = _frequencies(probs[i], freq)
        cum[0] = 0
        for j in range(freq.shape[0]):
            cum[j + 1] = cum[j] + freq[j]
        s = _decode_one(st, data, at, cum, total)
        if s < 0:
            return False
        out[i] = s
    return True


@njit(cache=True)
def _decode_uniform(st, data, at, bits):
    """A value coded with frequency 1 of 2^bits (a check word); -1 if none can be."""
    r = st[1] >> np.uint64(bits)
    v = st[0] // r
    if v >= np.uint64(1 << bits):
        return -1
    _consume(st, data, at, v, 1, r)
    return np.int64(v)


CHECK_BITS = 16
CHECK_WORD = 0xA5C3  # as the float engine's: non-zero, so an exhausted decoder (reading 0) fails


class Encoder(SegmentedEncoder):
    """The engine's coder interface (nncomp/format/coder.py) on this range coder."""

    def __init__(self, sealed: bytes = b"") -> None:
        super().__init__(sealed)
        self._out = np.zeros(1 << 16, np.uint8)
        self._freq = np.zeros(1, np.int64)
        self._start()

    def _start(self) -> None:
        self._st = np.array([0, (1 << 56) - 1, 0, 1], np.uint64)  # low, range, cache, pending
        self._pos = 0

    def _room(self, rows: int) -> None:
        """A row adds at most 4 bytes (24 bits of information, plus a carry's pending bytes)."""
        need = self._pos + 4 * rows + 64 + int(self._st[3])
        if need > len(self._out):
            self._out = np.concatenate([self._out, np.zeros(max(need, len(self._out)), np.uint8)])

    def code(self, symbols: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Encode symbols [k] under probs [k, V] float32; returns the symbols."""
        if len(self._freq) != probs.shape[1]:
            self._freq = np.zeros(probs.shape[1], np.int64)
        self._room(len(symbols))
        self._pos = _encode_rows(self._st, self._out, self._pos, symbols.astype(np.int64),
                                 probs, self._freq)
        return symbols

    def check(self) -> None:
        self._room(1)
        self._pos = _encode_one(self._st, self._out, self._pos, CHECK_WORD, 1, 1 << CHECK_BITS)

    def _seal(self) -> bytes:
        self._room(FLUSH_BYTES)
        for _ in range(FLUSH_BYTES):
            self._pos = _shift_low(self._st, self._out, self._pos)
        body = self._out[:self._pos].tobytes()
        self._start()
        return np.array([len(body)], _COUNT).tobytes() + body


def split_segments(payload: bytes) -> list[np.ndarray]:
    segments, pos = [], 0
    while pos < len(payload):
        if pos + 4 > len(payload):
            raise CorruptDataError("payload segment header runs past the payload's end")
        n = int(np.frombuffer(payload, _COUNT, 1, pos)[0])
        if n < FLUSH_BYTES or n > len(payload) - pos - 4:
            raise CorruptDataError("payload segment runs past the payload's end")
        segments.append(np.frombuffer(payload, np.uint8, n, pos + 4))
        pos += 4 + n
    if not segments:
        raise CorruptDataError("payload holds no coder segment")
    return segments


class Decoder(SegmentedDecoder):
    def __init__(self, payload: bytes) -> None:
        self._segments = split_segments(payload)
        self._index = 0
        self._freq = np.zeros(1, np.int64)
        self._cum = np.zeros(2, np.int64)
        self._open()

    def _open(self) -> None:
        data = self._segments[self._index]
        # The first byte is the encoder's initial pending byte (always 0); the code is the next 7.
        code = 0
        for b in data[1:FLUSH_BYTES].tolist():
            code = (code << 8) | b
        self._data = data
        self._at = np.array([FLUSH_BYTES], np.int64)
        self._st = np.array([code, (1 << 56) - 1], np.uint64)

    def code(self, symbols: np.ndarray | None, probs: np.ndarray) -> np.ndarray:
        """Decode k = len(probs) symbols under probs [k, V]."""
        V = probs.shape[1]
        if len(self._freq) != V:
            self._freq, self._cum = np.zeros(V, np.int64), np.zeros(V + 1, np.int64)
        out = np.zeros(probs.shape[0], np.int64)
        if not _decode_rows(self._st, self._data, self._at, probs, self._freq, self._cum, out):
            raise CorruptDataError("the payload is invalid for the model: damaged archive")
        return out

    def check(self) -> None:
        if _decode_uniform(self._st, self._data, self._at, CHECK_BITS) != CHECK_WORD:
            raise CorruptDataError("payload check word mismatch: the archive is damaged or "
                                   "claims more data than it holds")
