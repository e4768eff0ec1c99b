"""Match model: the symbol that followed the longest recent occurrence of the current context.

An online LSTM learns slowly and forgets: on repetitive data (logs, XML, source) xz wins by
copying. This model finds, through a hash of the last MINLEN bytes, an earlier position of any
stream whose context equals the current one, and predicts the byte that followed it, with the
length of the match as its confidence. The network gets both as inputs and adds a learned
bonus to the predicted byte's logit (nncomp/net/base.py), so it learns how far to trust it.

Integer-only and processed in stream order, so encoder and decoder agree exactly. Positions are
(row, stream) in the engine's token buffer; a pointer always refers to a row that both sides
already know (lookups for a step happen before that step's insertions).
"""
from __future__ import annotations

import numpy as np

from .kernels import RowModel, hash_context, njit

MINLEN = 5  # context bytes hashed to find a candidate
MINLEN_TEXT = 3  # context symbols, with a text dictionary (a symbol is ~2.5 bytes)
BUCKETS = 8  # match-length buckets: 0 = no match, 1, 2, 3, 4-7, 8-15, 16-31, >= 32
NO_MATCH = 256  # "predicted symbol" value when there is no match: the vocabulary size


@njit(cache=True)
def _bucket(m):
    if m < 4:
        return m
    if m < 8:
        return 4
    if m < 16:
        return 5
    if m < 32:
        return 6
    return 7


@njit(cache=True)
def _hash(tok, r, i, bits, minlen):
    return np.int64(hash_context(tok, r, i, minlen, 0) >> np.uint64(64 - bits))


@njit(cache=True)
def _update(tok, r, k, table, bits, minlen, none, ptr_r, ptr_i, mlen, pred, bucket):
    """Row r (1-based rows; row 0 is the start symbol) has just been coded for streams [0, k).
    Fill pred/bucket[i] with the features for row r + 1."""
    B = tok.shape[1]
    for i in range(k):
        c = tok[r, i]
        if mlen[i] > 0 and tok[ptr_r[i] + 1, ptr_i[i]] == c:
            mlen[i] += 1
            ptr_r[i] += 1
        else:
            mlen[i] = 0
        if mlen[i] == 0 and r >= minlen:
            cand = table[_hash(tok, r, i, bits, minlen)]
            if cand >= 0:
                cr, ci = cand // B, cand % B
                # Verify backwards: the real length of the match (a hash hit may be a collision).
                m = 0
                while m < 32 and cr - m >= 1 and r - m >= 1 and tok[cr - m, ci] == tok[r - m, i]:
                    m += 1
                if m >= minlen:
                    ptr_r[i], ptr_i[i], mlen[i] = cr, ci, m
    for i in range(k):
        if r >= minlen:
            table[_hash(tok, r, i, bits, minlen)] = np.int64(r) * B + i
        if mlen[i] > 0:
            pred[i] = tok[ptr_r[i] + 1, ptr_i[i]]
            bucket[i] = _bucket(mlen[i])
        else:
            pred[i] = none
            bucket[i] = 0


class MatchModel(RowModel):
    """Per-run state for B streams; pred[r], bucket[r] are the inputs predicting row r."""

    STATE = ("table", "ptr_r", "ptr_i", "mlen", "pred", "bucket")  # what a checkpoint saves

    def __init__(self, tok: np.ndarray, n: int, vocab: int = 256):
        self.tok, self.none = tok, vocab
        self.minlen = MINLEN if vocab == 256 else MINLEN_TEXT
        B = tok.shape[1]
        self.bits = int(min(22, max(10, (2 * max(n, 1) - 1).bit_length())))
        self.table = np.full(1 << self.bits, -1, dtype=np.int64)
        self.ptr_r = np.zeros(B, np.int64)
        self.ptr_i = np.zeros(B, np.int64)
        self.mlen = np.zeros(B, np.int64)
        # Features per row, kept for training: pred[r], bucket[r] are the inputs predicting row r.
        self.pred = np.full(tok.shape, vocab, dtype=np.int32)
        self.bucket = np.zeros(tok.shape, dtype=np.uint8)

    def observe(self, r: int, k: int, sym: np.ndarray | None = None) -> None:
        """Row r has been coded for the first k streams (sym, also in the token buffer):
        compute the features of row r + 1."""
        if r + 1 < self.tok.shape[0]:
            _update(self.tok, r, k, self.table, self.bits, self.minlen, self.none, self.ptr_r,
                    self.ptr_i, self.mlen, self.pred[r + 1], self.bucket[r + 1])
