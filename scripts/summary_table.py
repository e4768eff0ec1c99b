#!/usr/bin/env python3
"""Print a compact Markdown table (bits/byte, compress and decompress speed) from results.json
files, one column group per corpus: the table in the README is made with this. A corpus in
several files gets one column; a later file's cell replaces an earlier one's."""
import json
import sys

from nncomp.bench.report import corpus_rows

ROWS = ["gzip-9", "bzip2-9", "xz-9e", "zstd-22-long", "brotli-11", "nncomp-fast", "nncomp-default",
        "nncomp-max"]


def speed(mbps: float) -> str:
    return f"{mbps:.1f} MB/s" if mbps >= 1 else f"{mbps * 1e3:.1f} kB/s"


def main(paths: list[str]) -> None:
    table: dict[str, dict[str, str]] = {}
    corpora: list[str] = []
    for p in paths:
        for corpus, rows in corpus_rows(json.load(open(p))).items():
            if corpus not in corpora:
                corpora.append(corpus)
            for r in rows:
                cell = "ERROR" if r.error else f"{r.bpb:.3f} · {speed(r.c_MBps)} · {speed(r.d_MBps)}"
                table.setdefault(r.codec, {})[corpus] = cell
    print("| codec | " + " | ".join(f"{c}: bits/byte · C · D" for c in corpora) + " |")
    print("|---|" + "---|" * len(corpora))
    for codec in [c for c in ROWS if c in table] + [c for c in table if c not in ROWS]:
        print(f"| {codec} | " + " | ".join(table[codec].get(c, "—") for c in corpora) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
