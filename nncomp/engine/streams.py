"""How an input of n symbols is laid out as B streams coded in lockstep (numpy only).

The input is cut into B contiguous segments, the first n % B one symbol longer, so the active
streams at any step are always a prefix. The token buffer [L+1, B] holds a start symbol in row 0
and symbol t of each segment in row t + 1.
"""
from __future__ import annotations

import numpy as np


def segment_lengths(n: int, B: int) -> np.ndarray:
    """Balanced split: non-increasing lengths, so the active streams are always a prefix."""
    base, extra = divmod(n, B)
    return np.array([base + (i < extra) for i in range(B)], dtype=np.int64)


def symbol_dtype(vocab: int) -> type:
    return np.uint8 if vocab <= 256 else np.uint16


def token_buffer(n: int, B: int, vocab: int = 256) -> np.ndarray:
    """[L+1, B] zeros: row 0 is the start symbol, row t+1 will hold symbol t of each segment."""
    return np.zeros((int(segment_lengths(n, B).max(initial=0)) + 1, B), symbol_dtype(vocab))


def to_streams(data: bytes | np.ndarray, B: int, vocab: int = 256) -> np.ndarray:
    """The token buffer holding data's symbols."""
    src = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    lens = segment_lengths(len(src), B)
    tok = token_buffer(len(src), B, vocab)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    for i in range(B):
        tok[1:lens[i] + 1, i] = src[starts[i]:starts[i] + lens[i]]
    return tok


def from_streams(tok: np.ndarray, n: int) -> np.ndarray:
    """The n symbols held in a token buffer, in input order."""
    lens = segment_lengths(n, tok.shape[1])
    return np.concatenate([tok[1:lens[i] + 1, i] for i in range(tok.shape[1])])
