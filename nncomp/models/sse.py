"""Secondary estimation of the network's most likely symbol (an APM, as in paq and cmix).

Trained online, the network is overconfident in its first choice: on the first 2 MB of
silesia/dickens (preset default) the symbols it gave 0.50-0.60 came true 41-44 % of the time,
those it gave 0.80-0.90 69-71 %. It learns from each block just before predicting the next, so
it leans on what it has just seen. This stage maps the top probability p, in a context of the
match model's evidence, to the rate at which such predictions came true so far: a table of 33
nodes over p per context, read by linear interpolation between the two nodes around p and moved
towards each outcome. The top symbol gets the table's value q, every other symbol its
probability times (1 - q) / (1 - p). Measured in a replay of recorded predictions: 0.3-0.4 % fewer
bits (first 2 MB of dickens, presets fast and default).

Portable floats: only +, -, *, / in float64 (IEEE-exact, and numba does not fuse them without
fastmath), no log or exp, whose last bit may differ between libraries; the node positions are
written below as integers. Encoder and decoder call `adjust` on the same probabilities and
`update` with the same symbols, row by row, in stream order.
"""
from __future__ import annotations

import numpy as np

from .kernels import RowModel, njit
from .match import BUCKETS

# 65536 / (1 + exp(-(j - 16) / 2)), j = 0..32: nodes every 0.5 of the logistic's argument.
NODES = np.array([22, 36, 60, 98, 162, 267, 439, 720, 1179, 1921, 3108, 4971, 7812, 11955,
                  17625, 24743, 32768, 40793, 47911, 53581, 57724, 60565, 62428, 63615, 64357,
                  64816, 65097, 65269, 65374, 65438, 65476, 65500, 65514], np.float64) / 65536
CONTEXTS = 2 * BUCKETS  # (match length bucket, whether the match names the top symbol)
RATE_MIN = 1.0 / 512  # a node's step towards an outcome: 1 / (1.5 + its count), at least this


@njit(cache=True)
def _node(p):
    """(j, f): p lies at NODES[j] + f·(NODES[j+1] - NODES[j]); j = -1 outside the table."""
    last = NODES.shape[0] - 1
    if p <= NODES[0] or p >= NODES[last]:
        return -1, 0.0
    lo, hi = 0, last
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if NODES[mid] <= p:
            lo = mid
        else:
            hi = mid
    return lo, (p - NODES[lo]) / (NODES[lo + 1] - NODES[lo])


@njit(cache=True)
def _estimate(table, c, j, f):
    """Table row c read between nodes j and j + 1 at fraction f (_node), clamped to the table's
    range: no symbol may get probability 0."""
    q = table[c, j] * (1.0 - f) + table[c, j + 1] * f
    return min(max(q, NODES[0]), NODES[NODES.shape[0] - 1])


@njit(cache=True)
def _adjust(probs, top, pred, bucket, table, node, frac, ctx):
    """Replace each row's top probability (at top [k]) by the table's estimate (probs [k, V]
    float32, in place) and note where each row read the table, for _update."""
    for i in range(probs.shape[0]):
        b = top[i]
        p = np.float64(probs[i, b])
        lo, f = _node(p)
        if lo < 0:  # outside the table: keep the network's
            node[i] = -1
            continue
        c = 2 * np.int64(bucket[i]) + (1 if pred[i] == b else 0)
        q = _estimate(table, c, lo, f)
        scale = np.float32((1.0 - q) / (1.0 - p))
        probs[i] *= scale
        probs[i, b] = np.float32(q)
        node[i], frac[i], ctx[i] = lo, f, c


@njit(cache=True)
def _update(sym, top, node, frac, ctx, table, count):
    """Move the two nodes each row read towards its outcome, each by its interpolation weight."""
    for i in range(sym.shape[0]):
        j = node[i]
        if j < 0:
            continue
        y = 1.0 if sym[i] == top[i] else 0.0
        _move(table, count, ctx[i], j, 1.0 - frac[i], y)
        _move(table, count, ctx[i], j + 1, frac[i], y)


@njit(cache=True)
def _move(table, count, c, j, w, y):
    """Node j of row c a step w·rate towards y; rate = 1 / (1.5 + its count), at least RATE_MIN."""
    count[c, j] += w
    rate = max(RATE_MIN, 1.0 / (1.5 + count[c, j]))
    table[c, j] += rate * w * (y - table[c, j])


class SecondaryEstimate(RowModel):
    """Per-run state for B streams: `adjust` a step's probabilities, then `update` with its
    symbols."""

    STATE = ("table", "count")  # what a checkpoint saves (nothing is pending between steps)

    def __init__(self, streams: int):
        self.table = np.tile(NODES, (CONTEXTS, 1))  # [CONTEXTS, 33]: starts as the identity
        self.count = np.zeros_like(self.table)
        self.top = np.zeros(streams, np.int64)
        self.node = np.full(streams, -1, np.int64)
        self.frac = np.zeros(streams, np.float64)
        self.ctx = np.zeros(streams, np.int64)
        self._no_match = (np.full(streams, -1, np.int64), np.zeros(streams, np.uint8))

    def adjust(self, probs: np.ndarray, pred: np.ndarray | None = None,
               bucket: np.ndarray | None = None) -> None:
        """probs [k, V] float32, changed in place; pred, bucket [k]: the match model's features
        for this row (None without a match model)."""
        k = probs.shape[0]
        if pred is None:
            pred, bucket = self._no_match[0][:k], self._no_match[1][:k]
        top = self.top[:k]
        np.argmax(probs, 1, out=top)  # numpy's SIMD argmax: 10x a plain loop; first maximum
        _adjust(probs, top, pred, bucket, self.table, self.node, self.frac, self.ctx)

    def observe(self, r: int, k: int, sym: np.ndarray) -> None:
        """sym [k]: the symbols of row r just coded under the adjusted probabilities."""
        _update(sym, self.top[:k], self.node[:k], self.frac[:k], self.ctx[:k], self.table,
                self.count)
