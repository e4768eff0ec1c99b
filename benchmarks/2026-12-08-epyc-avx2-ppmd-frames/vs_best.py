#!/usr/bin/env python3
"""Each file's best conventional row (../2026-12-07-zen4-strong-codecs-all/results.json) beside
the nncomp rows of `nncomp bench` results: the frame kind each file got, its bits per byte, the
model's own bits per byte (what the file cost before PPMd frames, where the model ran), and the
gap to the best row. One line per file and preset.

    python vs_best.py fast/results.json default/results.json
"""
import json
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
strong = json.loads((here.parent / "2026-12-07-zen4-strong-codecs-all" / "results.json").read_text())
best: dict[str, tuple[str, int]] = {}
for codec in strong["codecs"]:
    for r in codec["results"]:
        if "compressed" in r and (r["file"] not in best or r["compressed"] < best[r["file"]][1]):
            best[r["file"]] = (codec["name"], r["compressed"])
for path in sys.argv[1:]:
    for codec in json.loads(Path(path).read_text())["codecs"]:
        for r in codec["results"]:
            name, n = r["file"], r["n"]
            rival, size = best[name]
            model = f"{r['model_bits'] / n:.4f}" if r.get("model_bits") else "-"
            print(f"{codec['name']:15s} {name:14s} {r['kind']:6s} {8 * r['compressed'] / n:.4f} "
                  f"(model {model})  best {rival} {8 * size / n:.4f}  "
                  f"{(r['compressed'] / size - 1) * 100:+.1f} %  verified={r['verified']}  "
                  f"{n / r['c_wall_s'] / 1e3:.1f} / {n / r['d_wall_s'] / 1e3:.1f} kB/s")
