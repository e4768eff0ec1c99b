"""Context statistics: which symbols followed the last 1, 2, ... symbols, and how often.

The LSTM generalises but learns slowly: a name met twice in a chapter is still a surprise to it
the third time, while a count table knows after one occurrence. For each order k this model
keeps, per context of the last k symbols (hashed, shared by all streams), the `slot` symbols seen
most often after it with their counts. Before each step it hands the network the `top` most
frequent candidates of every order with a bucket of (count, total); the network adds a learned
bonus per (order, bucket) to each candidate's logit (nncomp/net/base.py). That is a log-linear
mixer whose weights are trained with the network, so it learns how far to trust each order
and each level of evidence: cmix and paq mix their models in the same (logistic) domain.

Integer-only and processed in stream order, so encoder and decoder agree exactly; all the
lookups for a row happen after that row's symbols have been counted, so they only use
symbols both sides already know. Like the match model it is fed row by row by the engine.
"""
from __future__ import annotations

import numpy as np

from ..config import ModelConfig, ctx_table_bits, ctx_table_rows
from .kernels import RowModel, hash_context, njit

# Symbols remembered per context (most frequent first), and candidates per order handed to the
# network, unless a config's ctx_slot and ctx_top say otherwise: what archives written before
# those fields mean.
SLOT, TOP = ModelConfig.ctx_slot, ModelConfig.ctx_top
LIMIT = 255  # a count above this halves the slot's counts: recent statistics weigh more
N_BINS = 7  # total count: 1, 2, 3-4, 5-8, 9-16, 17-32, > 32
F_BINS = 6  # count / total: <= 1/8, <= 1/4, <= 1/2, <= 3/4, < 1, 1
BUCKETS = N_BINS * F_BINS  # per order


@njit(cache=True)
def _bucket(c, n):
    if n <= 2:
        nb = n - 1
    elif n <= 4:
        nb = 2
    elif n <= 8:
        nb = 3
    elif n <= 16:
        nb = 4
    elif n <= 32:
        nb = 5
    else:
        nb = 6
    if c == n:
        fb = 5
    elif 4 * c > 3 * n:
        fb = 4
    elif 2 * c > n:
        fb = 3
    elif 4 * c > n:
        fb = 2
    elif 8 * c > n:
        fb = 1
    else:
        fb = 0
    return nb * F_BINS + fb


@njit(cache=True)
def _locate(tok, r, i, order, vocab, bits):
    """(row, tag) of the context tok[r-order+1 .. r, i] in the tables: order 1 has a row per
    symbol (rows [0, vocab)), each higher order 2^bits rows after those, by hash."""
    if order == 1:
        return np.int64(tok[r, i]), np.uint16(1)
    h = hash_context(tok, r, i, order, order)
    row = vocab + ((order - 2) << bits) + np.int64(h >> np.uint64(64 - bits))
    tag = np.uint16(((h >> np.uint64(16)) & np.uint64(0xFFFF)) | np.uint64(1))  # 0 = empty
    return row, tag


@njit(cache=True)
def _count(sym, cnt, s):
    """Count symbol s in one context's row (sym, cnt: [slot]), keeping it sorted by count: the
    unused entries (count 0; their symbols mean nothing) are the last, so a scan stops at the
    first. A new symbol takes the first unused entry, or in a full row the rarest one's. A
    count that would pass LIMIT halves the row's counts (rounding up, so none becomes 0) and
    is then stored: uint8 holds every count."""
    slot = sym.shape[0]
    j = -1
    used = slot
    for e in range(slot):
        if cnt[e] == 0:
            used = e
            break
        if sym[e] == s:
            j = e
            break
    if j < 0:
        j = min(used, slot - 1)
        sym[j] = s
        cnt[j] = 0
    c = np.int64(cnt[j]) + 1
    if c > LIMIT:
        for e in range(slot):
            if cnt[e] == 0:
                break
            cnt[e] = (np.int64(cnt[e]) + 1) >> 1
        c = (c + 1) >> 1
    cnt[j] = c
    while j > 0 and cnt[j] > cnt[j - 1]:
        sym[j], sym[j - 1] = sym[j - 1], sym[j]
        cnt[j], cnt[j - 1] = cnt[j - 1], cnt[j]
        j -= 1


@njit(cache=True)
def _update(tok, r, k, sym, cnt, tag, cur, vocab, bits, cand, cbkt):
    """Row r has just been coded for streams [0, k): count it under the contexts that predicted
    it, then fill cand/cbkt [B, orders*top] with the candidates for row r + 1."""
    orders = cur.shape[0]
    top = cand.shape[1] // orders
    none = orders * BUCKETS  # the bucket of an empty candidate: its bonus is 0
    for i in range(k):
        for o in range(orders):
            if cur[o, i] >= 0:
                _count(sym[cur[o, i]], cnt[cur[o, i]], tok[r, i])
    for i in range(k):
        for o in range(orders):
            base = o * top
            if r < o + 1:
                cur[o, i] = -1
                for e in range(top):
                    cand[i, base + e] = 0
                    cbkt[i, base + e] = none
                continue
            row, tg = _locate(tok, r, i, o + 1, vocab, bits)
            if tag[row] != tg:  # a new context, or another one that hashed here: start over
                tag[row] = tg
                cnt[row, :] = 0
            cur[o, i] = row
            total = 0
            for e in range(cnt.shape[1]):  # the used entries come first
                if cnt[row, e] == 0:
                    break
                total += np.int64(cnt[row, e])
            for e in range(top):
                c = np.int64(cnt[row, e])
                if c > 0:
                    cand[i, base + e] = sym[row, e]
                    cbkt[i, base + e] = o * BUCKETS + _bucket(c, total)
                else:
                    cand[i, base + e] = 0
                    cbkt[i, base + e] = none


class ContextModel(RowModel):
    """Per-run state for B streams and orders 1..`orders`.

    Features live in a ring of `rows` rows (the engine needs a training block's worth plus the
    row being predicted): cand[r % rows], cbkt[r % rows] are the inputs predicting row r.
    """

    STATE = ("sym", "cnt", "tag", "cur", "cand", "cbkt")

    TABLES = ("sym", "cnt", "tag")  # what a warm frame starts from (tables())

    def __init__(self, tok: np.ndarray, n: int, vocab: int, orders: int, rows: int,
                 warm: dict | None = None, top: int = TOP, slot: int = SLOT):
        self.tok, self.rows, self.vocab = tok, rows, vocab
        B = tok.shape[1]
        # Order 1 has a row per symbol; each higher order 2^bits rows, by the input's length,
        # or as many as a warm start's tables (another frame's tables(), of the same vocab).
        self.bits = ctx_table_bits(n, vocab) if warm is None or orders < 2 else \
            int((warm["tag"].shape[0] - vocab) // (orders - 1)).bit_length() - 1
        n_rows = ctx_table_rows(orders, vocab, self.bits)
        self.sym = np.zeros((n_rows, slot), np.uint16)
        self.cnt = np.zeros((n_rows, slot), np.uint8)
        self.tag = np.zeros(n_rows, np.uint16)
        self.cur = np.full((orders, B), -1, np.int64)
        # int64: torch indexes with them as they are, without a conversion per step.
        self.cand = np.zeros((rows, B, orders * top), np.int64)
        self.cbkt = np.full((rows, B, orders * top), orders * BUCKETS, np.int64)
        if warm is not None:
            for k in self.TABLES:
                getattr(self, k)[...] = warm[k]

    def tables(self) -> dict[str, np.ndarray]:
        """The counts by context, without the streams' positions: what a frame that starts
        from this one's statistics takes (the arrays themselves, not copies)."""
        return {k: getattr(self, k) for k in self.TABLES}

    def observe(self, r: int, k: int, sym: np.ndarray | None = None) -> None:
        """Row r has been coded for the first k streams (sym, also in the token buffer):
        compute the features of row r + 1."""
        if r + 1 < self.tok.shape[0]:
            j = (r + 1) % self.rows
            _update(self.tok, r, k, self.sym, self.cnt, self.tag, self.cur, self.vocab,
                    self.bits, self.cand[j], self.cbkt[j])

    def features(self, rows: int | slice) -> tuple[np.ndarray, np.ndarray]:
        """(cand, cbkt) predicting a row [B, K] or the rows of a slice [R, B, K]."""
        if isinstance(rows, slice):
            idx = np.arange(rows.start, rows.stop) % self.rows
            return self.cand[idx], self.cbkt[idx]
        return self.cand[rows % self.rows], self.cbkt[rows % self.rows]


def initial_bonus(orders: int) -> np.ndarray:
    """A starting bonus per (order, bucket): what a candidate's evidence is worth before the
    network has learned it, ln(1 + 4·p) for a smoothed frequency p, more for higher orders."""
    n_mid = np.array([1, 2, 3, 6, 12, 24, 64], np.float64)
    f_mid = np.array([0.08, 0.18, 0.37, 0.62, 0.85, 1.0])
    p = (f_mid[None, :] * n_mid[:, None]) / (n_mid[:, None] + 1.0)  # [N_BINS, F_BINS]
    per_order = [np.log1p(4.0 * p).ravel() * (0.5 + 0.25 * o) for o in range(orders)]
    return np.concatenate(per_order).astype(np.float32)
