#!/usr/bin/env python3
"""Per file, an nncomp row against xz -9e from one or more results.json (benchmarks/2026-11-26-xeon-shared/vs-xz.md):

    .venv/bin/python scripts/vs_xz.py benchmarks/2026-11-26-xeon-shared/results.json [nncomp-fast] > vs-xz.md
    .venv/bin/python scripts/vs_xz.py a/results.json b/results.json nncomp-max > vs-xz.md

The issue's rule: no preset may be larger than xz -9e by more than 1 % on any shared file.
"model alone" is the network's own cross-entropy, whichever frame was written. Several results
files (runs of parts of a corpus) are read as one; a file in more than one keeps its last run.
"""
import json
import sys


def rows(paths: list[str], codec: str) -> tuple[dict, dict]:
    """(xz -9e's rows, the codec's rows), each by (corpus, file)."""
    xz, nn = {}, {}
    for path in paths:
        for c in json.load(open(path))["codecs"]:
            if c["name"] in ("xz-9e", codec):
                (xz if c["name"] == "xz-9e" else nn).update(
                    {(r["corpus"], r["file"]): r for r in c["results"]})
    return xz, nn


def main(args: list[str]) -> None:
    paths = [a for a in args if a.endswith(".json")]
    codec = next((a for a in args if not a.endswith(".json")), "nncomp-fast")
    xz, nn = rows(paths, codec)
    print(f"| file | bytes | xz -9e | {codec} | kind | vs xz | model alone (bits/byte) | C kB/s | D kB/s |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    worst, total = -1.0, [0, 0, 0]  # bytes in, xz -9e's, the codec's
    for key, r in sorted(nn.items(), key=lambda kv: kv[0][1]):
        if "error" in r or "error" in xz.get(key, {"error": 1}):
            print(f"| {key[1]} | {r['n']:,} | | ERROR | | | | | |")
            continue
        x = xz[key]["compressed"]
        rel = r["compressed"] / x - 1
        worst = max(worst, rel)
        total = [total[0] + r["n"], total[1] + x, total[2] + r["compressed"]]
        bits = r.get("model_bits")
        model = f"{bits / r['n']:.3f}" if bits else "—"
        print(f"| {key[1]} | {r['n']:,} | {x:,} | {r['compressed']:,} | {r.get('kind', '?')} | "
              f"{100 * rel:+.1f} % | {model} | {r['c_MBps'] * 1e3:.1f} | {r['d_MBps'] * 1e3:.1f} |")
    if len(nn) > 1 and total[0]:
        print(f"| all | {total[0]:,} | {total[1]:,} | {total[2]:,} | | "
              f"{100 * (total[2] / total[1] - 1):+.1f} % | | | |")
    print(f"\nLargest against xz -9e: {100 * worst:+.1f} % (the limit is +1 %).")
    if len(nn) > 1 and total[0]:
        print(f"All: {8 * total[2] / total[0]:.3f} bits/byte against xz -9e's "
              f"{8 * total[1] / total[0]:.3f}.")


if __name__ == "__main__":
    main(sys.argv[1:])
