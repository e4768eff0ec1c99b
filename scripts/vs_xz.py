#!/usr/bin/env python3
"""Per file, an nncomp row against xz -9e from a results.json (benchmarks/shared/vs-xz.md):

    .venv/bin/python scripts/vs_xz.py benchmarks/shared/results.json [nncomp-fast] > vs-xz.md

The issue's rule: no preset may be larger than xz -9e by more than 1 % on any shared file.
"model alone" is the network's own cross-entropy, whichever frame was written.
"""
import json
import sys


def main(path: str, codec: str = "nncomp-fast") -> None:
    doc = json.load(open(path))
    by_name = {c["name"]: {(r["corpus"], r["file"]): r for r in c["results"]} for c in doc["codecs"]}
    xz, nn = by_name["xz-9e"], by_name[codec]
    print(f"| file | bytes | xz -9e | {codec} | kind | vs xz | model alone (bits/byte) | C kB/s | D kB/s |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    worst = -1.0
    for key, r in nn.items():
        if "error" in r or "error" in xz.get(key, {"error": 1}):
            print(f"| {key[1]} | {r['n']:,} | | ERROR | | | | | |")
            continue
        x = xz[key]["compressed"]
        rel = r["compressed"] / x - 1
        worst = max(worst, rel)
        bits = r.get("model_bits")
        model = f"{bits / r['n']:.3f}" if bits else "—"
        print(f"| {key[1]} | {r['n']:,} | {x:,} | {r['compressed']:,} | {r.get('kind', '?')} | "
              f"{100 * rel:+.1f} % | {model} | {r['c_MBps'] * 1e3:.1f} | {r['d_MBps'] * 1e3:.1f} |")
    print(f"\nLargest against xz -9e: {100 * worst:+.1f} % (the limit is +1 %).")


if __name__ == "__main__":
    main(*sys.argv[1:])
