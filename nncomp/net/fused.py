"""The exact LSTM's elementwise stages as single numba loops, for the CPU: the same IEEE
operations in the same order as the torch code of nncomp/net/exact.py (which a GPU runs), so
both give the same bits (tests/test_exact.py compares them), without a torch call per
operation. numba compiles without fast-math: no reassociation, no fused multiply-adds.
"""
from __future__ import annotations

import math

import numpy as np

from ..models.kernels import njit


@njit(cache=True)
def _index(x, scale, n):
    """Table entry of x·scale: floor, clamped to [-n, n - 1], from 0."""
    j = np.floor(x * scale)
    if j < -n:
        j = -n
    elif j > n - 1:
        j = n - 1
    return np.int64(j) + n


@njit(cache=True)
def cell(z, c_prev, sig, tanh, z_scale, c_scale, h_scale, h, c, si, sf, tg, so, tc):
    """One LSTM cell after its GEMM: z [B, 4H] (integers on the products' grid; z·z_scale is
    floor'ed to a table entry, c·c_scale likewise), c_prev [B, H] -> h (integers on the 2^-AB
    grid; h_scale = 2^AB), c, and the gates and tanh(c) that training reads, [B, H] each."""
    n = sig.shape[0] // 2
    B, H = c_prev.shape
    for b in range(B):
        for j in range(H):
            i_ = sig[_index(z[b, j], z_scale, n)]
            f_ = sig[_index(z[b, H + j], z_scale, n)]
            g_ = tanh[_index(z[b, 2 * H + j], z_scale, n)]
            o_ = sig[_index(z[b, 3 * H + j], z_scale, n)]
            t1 = f_ * c_prev[b, j]
            t2 = i_ * g_
            cc = t1 + t2
            t = tanh[_index(cc, c_scale, n)]
            h[b, j] = np.rint((o_ * t) * h_scale)
            c[b, j] = cc
            si[b, j] = i_
            sf[b, j] = f_
            tg[b, j] = g_
            so[b, j] = o_
            tc[b, j] = t


@njit(cache=True)
def output(out, V, pred, bucket, bonus, cand, cbkt, ctx_table, ctx_order, out_scale, bb,
           exp_table, lb, p64, p32, gate):
    """From the head's product out [B, V + orders] (integers; times out_scale the logits and
    gates) to probabilities p64 [B, V] and p32 (float32), as exact.ExactLSTM._output: the match
    bonus at pred (pred >= V: none), each context candidate's q(b + b·gate) (bb = 2^BB; an
    empty candidate's bucket reads 0), the softmax through exp_table. gate [B, K] is filled
    (for training); cand has K = 0 columns without context statistics, pred/bucket none
    without a match model (pred.shape[0] == 0)."""
    B = out.shape[0]
    K = cand.shape[1]
    last = exp_table.shape[0] - 1
    logits = np.empty(V)
    e = np.empty(V, np.int64)
    for b in range(B):
        for s in range(V):
            logits[s] = out[b, s] * out_scale
        if pred.shape[0]:
            s = pred[b]
            if s < V:
                logits[s] = logits[s] + bonus[bucket[b]]
        for k in range(K):
            g = out[b, V + ctx_order[k]] * out_scale
            gate[b, k] = g
            t = ctx_table[cbkt[b, k]]
            v = np.rint((t + t * g) * bb) * (1.0 / bb)
            logits[cand[b, k]] = logits[cand[b, k]] + v
        m = logits[0]
        for s in range(1, V):
            if logits[s] > m:
                m = logits[s]
        total = 0
        for s in range(V):
            j = np.floor((m - logits[s]) * lb)
            idx = last if j > last else np.int64(j)
            e[s] = exp_table[idx]
            total += e[s]
        denom = np.float64(total)
        for s in range(V):
            p = np.float64(e[s]) / denom
            p64[b, s] = p
            p32[b, s] = np.float32(p)


@njit(cache=True)
def cell_backward(dh_ext, dh_rec, dc, si, sf, tg, so, tc, c_prev, dz):
    """One step of a layer's backward pass, as exact.ExactLSTM._layer_bptt: from dh_ext + dh_rec
    [B, H] and the carried dc (updated in place to dc·f) to dz [B, 4H]."""
    B, H = dc.shape
    for b in range(B):
        for j in range(H):
            dh = dh_ext[b, j] + dh_rec[b, j]
            t = tc[b, j]
            o_ = so[b, j]
            i_ = si[b, j]
            f_ = sf[b, j]
            g_ = tg[b, j]
            dso = dh * t
            d = dc[b, j] + (dh * o_) * (1.0 - t * t)
            dz[b, j] = (d * g_) * (i_ * (1.0 - i_))
            dz[b, H + j] = (d * c_prev[b, j]) * (f_ * (1.0 - f_))
            dz[b, 2 * H + j] = (d * i_) * (1.0 - g_ * g_)
            dz[b, 3 * H + j] = dso * (o_ * (1.0 - o_))
            dc[b, j] = d * f_


@njit(cache=True)
def inputs(emb, memb, lemb, prev, pred, bucket, xmax, scale, x):
    """The step's input rows x [B, E] (integers on the 2^-AB grid; scale = 2^AB), as
    exact.ExactLSTM._input: emb[prev] + memb[pred] + lemb[bucket] (without a match model,
    pred.shape[0] == 0: emb alone), clamped to ±xmax, rounded."""
    B, E = x.shape
    for b in range(B):
        for j in range(E):
            v = emb[prev[b], j]
            if pred.shape[0]:
                v = v + memb[pred[b], j]
                v = v + lemb[bucket[b], j]
            if v < -xmax:
                v = -xmax
            elif v > xmax:
                v = xmax
            x[b, j] = np.rint(v * scale)


@njit(cache=True)
def output_grad(p, targets, scale, out):
    """exact.ExactLSTM._output_grad: out = round((p − onehot(target))·scale), p and out
    [T, B, V], targets [T, B]; p − 1 at the target, then the product, then the rounding."""
    T, B, V = p.shape
    for t in range(T):
        for b in range(B):
            y = targets[t, b]
            for v in range(V):
                x = p[t, b, v]
                if v == y:
                    x = x - 1.0
                out[t, b, v] = np.rint(x * scale)


@njit(cache=True)
def quantize_dynamic(x, gb, out):
    """fixed.quantize_dynamic on a C-contiguous float64 array: out = round(x·2^(gb - e)) with e
    the exponent of max|x| (max|x| = m·2^e, 1/2 <= m < 1); returns the scale 2^(e - gb)."""
    flat = x.ravel()
    m = 0.0
    for v in flat:
        a = abs(v)
        if a > m:
            m = a
    q = out.ravel()
    if m == 0.0:
        q[:] = 0.0
        return 1.0
    e = math.frexp(m)[1]
    s = 2.0 ** (gb - e)
    for i in range(flat.shape[0]):
        q[i] = np.rint(flat[i] * s)
    return 2.0 ** (e - gb)


@njit(cache=True)
def adam(p, g, m, v, b1, b2, inv_bc2, eps, step, wmax):
    """fixed.ExactAdam.step in one pass, element by element in its order of operations: m·b1 +
    g·(1 − b1) (m = g when b1 = 0), v·b2 + (g·g)·(1 − b2), p − (m / (√(v·inv_bc2) + eps))·step,
    clamped to ±wmax. p, m, v updated in place."""
    c1 = 1.0 - b1
    c2 = 1.0 - b2
    for i in range(p.shape[0]):
        gi = g[i]
        if b1 != 0.0:
            mi = m[i] * b1 + gi * c1
        else:
            mi = gi
        m[i] = mi
        vi = v[i] * b2 + (gi * gi) * c2
        v[i] = vi
        d = np.sqrt(vi * inv_bc2) + eps
        x = p[i] - (mi / d) * step
        if x < -wmax:
            x = -wmax
        elif x > wmax:
            x = wmax
        p[i] = x


@njit(cache=True)
def square_sum(g, scale):
    """Σ round(g·scale)² in int64 (fixed.global_norm's sum)."""
    total = np.int64(0)
    for x in g:
        q = np.int64(np.rint(x * scale))
        total += q * q
    return total
