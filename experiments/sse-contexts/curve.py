"""Where a recording's bits go (record.py): cost per tenth of the run (rows: all streams advance
together, so a tenth of the rows is a tenth of the time the network has learnt for), and per
match-length bucket.

    python curve.py REC.npz
"""
import sys

import numpy as np

r = np.load(sys.argv[1])
row, cost, nbytes = r["row"], -np.log2(r["p_coded"]), int(r["nbytes"])
per_byte = len(cost) / nbytes  # symbols per byte: bits/symbol x this = bits/byte
rows = int(row.max()) + 1
print(f"{len(cost):,} symbols, {nbytes:,} bytes: {cost.sum() / nbytes:.4f} bits/byte")
print("tenth of the rows | bits/symbol | share of the bits | bits/byte at that rate")
for d in range(10):
    m = (row >= d * rows // 10) & (row < (d + 1) * rows // 10)
    print(f"{d + 1:>2} | {cost[m].mean():.3f} | {cost[m].sum() / cost.sum():.3f} | {cost[m].mean() * per_byte:.3f}")
hit = r["sym"] == r["top"]
print(f"the network's top symbol came true for {hit.mean():.3f} of the symbols ({cost[hit].sum() / cost.sum():.3f} of the bits)")
print("match bucket | share of symbols | bits/symbol | match right")
for b in np.unique(r["bucket"]):
    m = r["bucket"] == b
    print(f"{b} | {m.mean():.3f} | {cost[m].mean():.3f} | {(r['pred'][m] == r['sym'][m]).mean():.3f}")
