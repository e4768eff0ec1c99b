"""Replays secondary estimators of the top symbol over a record.py recording and prints the
bits/byte each would have coded: the current `sse` (its replay must give the recorded cost),
and estimators in other contexts, alone or averaged.

    python replay.py REC.npz
"""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from nncomp.models.context import BUCKETS as CTX_BUCKETS  # noqa: E402
from nncomp.models.kernels import njit  # noqa: E402
from nncomp.models.sse import NODES, RATE_MIN  # noqa: E402

# Copies of nncomp/models/sse.py's table operations (the package's own take no rate floor as
# an argument): the same operations in the same order, so the replay of `sse` reproduces the
# recorded cost.


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
    """Table row c read between nodes j and j + 1 at fraction f, clamped to the table's range."""
    q = table[c, j] * (1.0 - f) + table[c, j + 1] * f
    return min(max(q, NODES[0]), NODES[NODES.shape[0] - 1])


@njit(cache=True)
def _move(table, count, c, j, w, y, rate_min):
    """Node j of row c a step w·rate towards y; rate = 1 / (1.5 + its count), at least rate_min."""
    count[c, j] += w
    rate = max(rate_min, 1.0 / (1.5 + count[c, j]))
    table[c, j] += rate * w * (y - table[c, j])


@njit(cache=True)
def _read(table, c, p):
    """(q, node, frac) of table row c at p; node -1 outside the table, where q = p."""
    j, f = _node(p)
    if j < 0:
        return p, -1, 0.0
    return _estimate(table, c, j, f), j, f


@njit(cache=True)
def replay(row, p_top, p_sym, hit, ctxs, n_ctx, weights, rate_min, keep):
    """Total bits with the top probability p replaced by keep · p + (1 - keep) Σ weights[m] · q_m,
    q_m read from estimator m in context ctxs[m, i]; every estimator learns from every symbol, a
    row's symbols all read before any of them updates."""
    M, n = ctxs.shape[0], row.shape[0]
    tables = np.empty((M, n_ctx, NODES.shape[0]))
    for m in range(M):
        for c in range(n_ctx):
            tables[m, c] = NODES
    counts = np.zeros_like(tables)
    node = np.empty((M, n), np.int64)
    frac = np.empty((M, n))
    bits = 0.0
    start = 0
    while start < n:
        end = start
        while end < n and row[end] == row[start]:
            end += 1
        for i in range(start, end):
            q = 0.0
            for m in range(M):
                qm, node[m, i], frac[m, i] = _read(tables[m], ctxs[m, i], p_top[i])
                q += weights[m] * qm
            q = keep * p_top[i] + (1.0 - keep) * q
            if hit[i]:
                bits -= np.log2(q)
            else:
                bits -= np.log2(p_sym[i] * (1.0 - q) / (1.0 - p_top[i]))
        for i in range(start, end):
            y = 1.0 if hit[i] else 0.0
            for m in range(M):
                j = node[m, i]
                if j >= 0:
                    _move(tables[m], counts[m], ctxs[m, i], j, 1.0 - frac[m, i], y, rate_min)
                    _move(tables[m], counts[m], ctxs[m, i], j + 1, frac[m, i], y, rate_min)
        start = end
    return bits


def main() -> None:
    r = np.load(sys.argv[1])
    nbytes = int(r["nbytes"])
    row, p_top, p_sym = r["row"], r["p_top"], r["p_sym"]
    hit = r["sym"] == r["top"]
    agree = (r["pred"] == r["top"]).astype(np.int64)
    match = 2 * r["bucket"] + agree  # sse's context: 16
    cand, cbkt = r["cand"], r["cbkt"]  # [n, orders]
    orders = cand.shape[1]
    per = CTX_BUCKETS + 1
    ctx_o = [2 * (cbkt[:, o] - o * CTX_BUCKETS).clip(0, CTX_BUCKETS) + (cand[:, o] == r["top"])
             for o in range(orders)]  # per order: its top candidate's bucket, agrees with top: 86
    print(f"{len(row):,} symbols, {nbytes:,} bytes; recorded {-np.log2(r['p_coded']).sum() / nbytes:.4f}, "
          f"without sse {-np.log2(p_sym).sum() / nbytes:.4f} bits/byte")

    def run(name, ctxs, weights=None, rate_min=RATE_MIN, keep=0.0):
        ctxs = np.stack([np.asarray(c, np.int64) for c in ctxs])
        n_ctx = int(ctxs.max()) + 1
        w = np.full(len(ctxs), 1.0 / len(ctxs)) if weights is None else np.asarray(weights, np.float64)
        bits = replay(row, p_top, p_sym, hit, ctxs, n_ctx, w, rate_min, keep)
        print(f"{name:<48} {bits / nbytes:.4f} bits/byte", flush=True)

    run("sse: match bucket x agrees (16)", [match])
    run("order-1 symbol (V)", [r["prev1"]])
    run("sse + order-1 symbol, averaged", [match, r["prev1"]])
    for o in range(orders):
        run(f"order-{o + 1} statistics' top (86)", [ctx_o[o]])
        run(f"match x order-{o + 1} statistics' top ({16 * 2 * per})", [match * 2 * per + ctx_o[o]])
    run("sse + each order's statistics, averaged", [match] + ctx_o)
    run("match x order-3, averaged with order-1 symbol", [match * 2 * per + ctx_o[-1], r["prev1"]])
    run("match x order-2 + match x order-3 + order-1 sym",
        [match * 2 * per + ctx_o[-2], match * 2 * per + ctx_o[-1], r["prev1"]])
    run("sse, a quarter of the network's p kept", [match], keep=0.25)
    run("match x order-3 + order-1 sym, a quarter kept", [match * 2 * per + ctx_o[-1], r["prev1"]],
        keep=0.25)
    run("sse, rate floor 1/1024", [match], rate_min=1 / 1024)
    run("sse, rate floor 1/256", [match], rate_min=1 / 256)


if __name__ == "__main__":
    main()
