"""Bits/byte of a linear mixture w·pA + (1-w)·pB of two runs' true-symbol probabilities
(true_probs.py, same symbols in the same order): fixed w, and w learnt online (a logistic
weight moved by the gradient of each symbol's cost, as a coder could do it).
    python mix.py A.npy B.npy BYTES"""
import sys

import numpy as np

a, b, nbytes = np.load(sys.argv[1]), np.load(sys.argv[2]), int(sys.argv[3])
assert len(a) == len(b)


def bpb(p):
    return -np.log2(p).sum() / nbytes


print("A", bpb(a), "B", bpb(b))
for w in (0.5, 0.7, 0.8, 0.9):
    print("fixed w", w, bpb(w * a + (1 - w) * b))
for lr in (0.002, 0.01, 0.05):
    z, out = 0.0, np.empty_like(a)
    for i in range(len(a)):
        w = 1 / (1 + np.exp(-z))
        out[i] = p = w * a[i] + (1 - w) * b[i]
        z += lr * (a[i] - b[i]) * w * (1 - w) / p
    print("online lr", lr, bpb(out), "final w", 1 / (1 + np.exp(-z)))
