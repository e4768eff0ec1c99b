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

from ..config import ModelConfig
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
def _locate(tok, r, i, order, bits):
    """(slot, tag) of the context tok[r-order+1 .. r, i]. Order 1 indexes the symbol itself."""
    if order == 1:
        return np.int64(tok[r, i]), np.uint16(1)
    h = hash_context(tok, r, i, order, order)
    slot = np.int64(h >> np.uint64(64 - bits))
    tag = np.uint16(((h >> np.uint64(16)) & np.uint64(0xFFFF)) | np.uint64(1))  # 0 = empty
    return slot, tag


@njit(cache=True)
def _count(sym, cnt, s):
    """Count symbol s in one slot (sym, cnt: [slot]), keeping it sorted by count."""
    slot = sym.shape[0]
    j = -1
    for e in range(slot):
        if cnt[e] > 0 and sym[e] == s:
            j = e
            break
    if j < 0:  # a new symbol takes the place of the rarest one
        j = slot - 1
        sym[j] = s
        cnt[j] = 0
    cnt[j] += 1
    if cnt[j] > LIMIT:
        for e in range(slot):
            cnt[e] = (cnt[e] + 1) >> 1
    while j > 0 and cnt[j] > cnt[j - 1]:
        sym[j], sym[j - 1] = sym[j - 1], sym[j]
        cnt[j], cnt[j - 1] = cnt[j - 1], cnt[j]
        j -= 1


@njit(cache=True)
def _update(tok, r, k, sym, cnt, tag, cur, bits, cand, cbkt):
    """Row r has just been coded for streams [0, k): count it under the contexts that predicted
    it, then fill cand/cbkt [B, orders*top] with the candidates for row r + 1."""
    orders = cur.shape[0]
    top = cand.shape[1] // orders
    none = orders * BUCKETS  # the bucket of an empty candidate: its bonus is 0
    for i in range(k):
        for o in range(orders):
            if cur[o, i] >= 0:
                _count(sym[o, cur[o, i]], cnt[o, cur[o, i]], tok[r, i])
    for i in range(k):
        for o in range(orders):
            base = o * top
            if r < o + 1:
                cur[o, i] = -1
                for e in range(top):
                    cand[i, base + e] = 0
                    cbkt[i, base + e] = none
                continue
            slot, tg = _locate(tok, r, i, o + 1, bits)
            if tag[o, slot] != tg:  # a new context, or another one that hashed here: start over
                tag[o, slot] = tg
                cnt[o, slot, :] = 0
            cur[o, i] = slot
            total = 0
            for e in range(cnt.shape[2]):
                total += cnt[o, slot, e]
            for e in range(top):
                c = cnt[o, slot, e]
                if c > 0:
                    cand[i, base + e] = sym[o, slot, e]
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
        self.tok, self.rows = tok, rows
        B = tok.shape[1]
        # Order 1 indexes its slots by symbol; higher orders hash into the same number of slots.
        # A warm start takes another frame's tables(): their size, and (below) their counts.
        self.bits = int(warm["tag"].shape[1]).bit_length() - 1 if warm is not None else \
            int(min(20, max(16, (max(n, 1) - 1).bit_length(), (vocab - 1).bit_length())))
        slots = 1 << self.bits
        self.sym = np.zeros((orders, slots, slot), np.uint16)
        self.cnt = np.zeros((orders, slots, slot), np.uint16)
        self.tag = np.zeros((orders, slots), np.uint16)
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
            _update(self.tok, r, k, self.sym, self.cnt, self.tag, self.cur, self.bits,
                    self.cand[j], self.cbkt[j])

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
