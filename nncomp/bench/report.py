"""Turn results.json into report.md, report.html and PNG plots a person can decide from."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .runner import validate
from .energy import everyday, everyday_text

# Assumptions for the break-even, overridable from `nncomp report`.
TRANSFER_KWH_PER_GB = 0.06  # Aslan et al., J. Industrial Ecology 2018: Internet transmission, 2015
STORAGE_KWH_PER_GB_YEAR = 0.01  # assumed: a redundant, cooled HDD array, ~1.2 W per TB stored

PUBLISHED = [  # (corpus, codec, bpb, compressed bytes or None, source) -- not measured here
    ("enwik8", "NNCP 2024 (Transformer, RTX 4090, ~13 h)", 1.193, None, "bellard.org/nncp"),
    ("enwik8", "cmix v21 (~1.6 kB/s, 31 GB RAM)", 1.170, None, "byronknoll.com/cmix.html"),
    ("enwik8", "lstm-compress (~10 kB/s)", 1.64, None, "Large Text Compression Benchmark"),
    ("enwik8", "gzip -9", 2.92, None, "Large Text Compression Benchmark"),
    ("enwik8", "xz -9", 1.99, None, "Large Text Compression Benchmark"),
    ("dickens", "cmix v21", 8 * 1_810_680 / 10_192_446, 1_810_680, "byronknoll.com/cmix.html"),
]


@dataclass
class Row:
    codec: str
    description: str
    n: int
    compressed: Optional[int]
    c_s: float
    d_s: float
    c_j: Optional[float]
    d_j: Optional[float]
    method: str
    rss_kb: int
    error: str = ""
    model_bits: Optional[float] = None
    files: int = 0

    @property
    def bpb(self) -> float:
        return 8 * self.compressed / self.n if self.compressed is not None and self.n else math.nan

    @property
    def c_MBps(self) -> float:
        return self.n / self.c_s / 1e6 if self.c_s else math.nan

    @property
    def d_MBps(self) -> float:
        return self.n / self.d_s / 1e6 if self.d_s else math.nan

    def j_per_MB(self, which: str) -> Optional[float]:
        j = self.c_j if which == "c" else self.d_j
        return j / (self.n / 1e6) if j is not None and self.n else None


def corpus_rows(doc: dict) -> dict[str, list[Row]]:
    """One row per (corpus, codec), files summed; a failed file makes the row an ERROR."""
    out: dict[str, list[Row]] = {}
    for c in doc["codecs"]:
        by_corpus: dict[str, list[dict]] = {}
        for r in c["results"]:
            by_corpus.setdefault(r["corpus"], []).append(r)
        for corpus, rs in by_corpus.items():
            errors = [f"{r['file']}: {r['error']}" for r in rs if "error" in r]
            ok = [r for r in rs if "error" not in r]
            energies_c = [r["c_energy_j"] for r in ok]
            energies_d = [r["d_energy_j"] for r in ok]
            bits = [r.get("model_bits") for r in ok]
            out.setdefault(corpus, []).append(Row(
                codec=c["name"], description=c["description"], n=sum(r["n"] for r in rs),
                compressed=None if errors else sum(r["compressed"] for r in ok),
                c_s=sum(r["c_wall_s"] for r in ok), d_s=sum(r["d_wall_s"] for r in ok),
                c_j=None if None in energies_c else sum(energies_c),
                d_j=None if None in energies_d else sum(energies_d),
                method="/".join(sorted({r["energy_method"] for r in ok})) or "-",
                rss_kb=max([max(r["c_rss_peak_kb"], r["d_rss_peak_kb"]) for r in ok] or [0]),
                error="; ".join(errors),
                model_bits=None if not bits or None in bits else sum(bits), files=len(rs)))
    return out


def pareto(rows: list[Row]) -> set[str]:
    """Codecs no other codec beats on both bits per byte and compression speed."""
    good = [r for r in rows if not r.error]
    front = set()
    for r in good:
        if not any((o.bpb <= r.bpb and o.c_MBps >= r.c_MBps) and (o.bpb < r.bpb or o.c_MBps > r.c_MBps)
                   for o in good):
            front.add(r.codec)
    return front


def _speed(mbps: float) -> str:
    if not math.isfinite(mbps):
        return "-"
    return f"{mbps:.1f} MB/s" if mbps >= 1 else f"{mbps * 1e3:.1f} kB/s"


def _energy(j: Optional[float]) -> str:
    return "-" if j is None else (f"{j:.3g} J/MB" if j < 1e4 else f"{j / 3600:.3g} Wh/MB")


def _table(rows: list[Row], front: set[str]) -> list[list[str]]:
    out = [["codec", "bytes", "bits/byte", "compress", "decompress", "peak RSS", "energy C/MB",
            "energy D/MB", "method", "Pareto"]]
    for r in sorted(rows, key=lambda r: (bool(r.error), r.bpb)):
        if r.error:
            out.append([r.codec, "ERROR", r.error, "", "", "", "", "", "", ""])
            continue
        bpb = f"{r.bpb:.3f}"
        if r.model_bits is not None and r.n:
            bpb += f" (model {r.model_bits / r.n:.3f})"
        out.append([r.codec, f"{r.compressed:,}", bpb, _speed(r.c_MBps), _speed(r.d_MBps),
                    f"{r.rss_kb / 1024:.0f} MiB", _energy(r.j_per_MB("c")), _energy(r.j_per_MB("d")),
                    r.method, "★" if r.codec in front else ""])
    return out


def tradeoff(rows: list[Row], transfer_kwh_per_gb: float, storage_kwh_per_gb_year: float) -> list[str]:
    """Bytes saved against xz -9e, the energy they cost, and when (if ever) that energy is repaid.

    Storage: compress once, keep the smaller file for years, decompress once. Transfer: compress
    once, and every transfer is decompressed by its receiver, so each one saves network energy
    but pays the extra decompression energy again.
    """
    ref = next((r for r in rows if r.codec == "xz-9e" and not r.error), None)
    lines = []
    if ref is None or ref.c_j is None or ref.d_j is None:
        return ["(no verified xz -9e row with energy: no trade-off computed)"]
    for r in rows:
        if not r.codec.startswith("nncomp") or r.error or r.c_j is None or r.d_j is None:
            continue
        saved = ref.compressed - r.compressed
        extra_c_wh, extra_d_wh = (r.c_j - ref.c_j) / 3600, (r.d_j - ref.d_j) / 3600
        verb = "saves" if saved >= 0 else "costs"
        head = (f"**{r.codec}** vs xz -9e {verb} {abs(saved):,} bytes "
                f"({100 * abs(saved) / ref.compressed:.1f} %"
                f"{'' if saved >= 0 else ' more'}); extra "
                f"energy to compress: {everyday_text(extra_c_wh)}; to decompress: {extra_d_wh:.3g} Wh.")
        if saved <= 0:
            lines.append(head + " It saves nothing here, so the energy is never repaid.")
            continue
        gb = saved / 1e9
        years = (extra_c_wh + extra_d_wh) / 1000 / (gb * storage_kwh_per_gb_year)
        per_transfer_wh = gb * transfer_kwh_per_gb * 1000 - extra_d_wh
        if per_transfer_wh > 0:
            transfers = f"repaid after {extra_c_wh / per_transfer_wh:,.0f} transfers"
        else:
            transfers = (f"never repaid: each transfer saves {gb * transfer_kwh_per_gb * 1000:.3g} Wh of network "
                         f"energy but its decompression costs {extra_d_wh:.3g} Wh more than xz's")
        lines.append(head + f" Stored (compress once, decompress once): repaid after {years:,.0f} years at "
                     f"{storage_kwh_per_gb_year} kWh/GB-year. Transferred (each receiver decompresses), at "
                     f"{transfer_kwh_per_gb} kWh/GB: {transfers}.")
    return lines


def plots(corpus: str, rows: list[Row], front: set[str], out: Path, tag: str = "") -> list[str]:
    """The Pareto and energy plots of one corpus' rows, named after it (and tag); their names."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    good = [r for r in rows if not r.error]
    names = []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in good:
        nn = r.codec.startswith("nncomp")
        ax.scatter(r.c_MBps, r.bpb, marker="o" if nn else "s", color="C3" if nn else "C0", zorder=3)
        ax.annotate(r.codec, (r.c_MBps, r.bpb), fontsize=7, xytext=(4, 3), textcoords="offset points")
    f = sorted((r for r in good if r.codec in front), key=lambda r: r.c_MBps)
    if f:
        ax.plot([r.c_MBps for r in f], [r.bpb for r in f], "--", color="grey", label="Pareto front", zorder=2)
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("compression speed (MB/s, log scale; MB = 10^6 bytes)")
    ax.set_ylabel("bits per byte (lower is better)")
    ax.set_title(f"{corpus}: ratio against speed")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    name = f"pareto-{_slug(corpus)}{tag}.png"
    fig.savefig(out / name, dpi=120)
    plt.close(fig)
    names.append(name)

    with_e = [r for r in good if r.c_j is not None and r.d_j is not None]
    if with_e:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        labels = [r.codec for r in with_e]
        c = [r.j_per_MB("c") for r in with_e]
        d = [r.j_per_MB("d") for r in with_e]
        x = range(len(with_e))
        ax.bar([i - 0.2 for i in x], c, 0.4, label="compress")
        ax.bar([i + 0.2 for i in x], d, 0.4, label="decompress")
        ax.set_yscale("log")
        ax.set_xticks(list(x), labels, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("joules per MB of input (log scale)")
        methods = "/".join(sorted({r.method for r in with_e}))
        ax.set_title(f"{corpus}: energy per MB (method: {methods})")
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", which="both", alpha=0.3)
        fig.tight_layout()
        name = f"energy-{_slug(corpus)}{tag}.png"
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
        names.append(name)
    return names


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in s)


def _md_table(t: list[list[str]]) -> str:
    lines = ["| " + " | ".join(t[0]) + " |", "|" + "---|" * len(t[0])]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in t[1:]]
    return "\n".join(lines)


def _html_table(t: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in t[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build(docs: list[dict], out: Path, transfer_kwh_per_gb: float = TRANSFER_KWH_PER_GB,
          storage_kwh_per_gb_year: float = STORAGE_KWH_PER_GB_YEAR) -> list[Path]:
    """Write report.md, report.html and the plots into `out`; returns the paths written."""
    for d in docs:
        validate(d)
    out.mkdir(parents=True, exist_ok=True)
    md: list[str] = ["# nncomp benchmark report", ""]
    hp: list[str] = ["<!doctype html><meta charset='utf-8'><title>nncomp benchmark report</title>",
                     "<style>body{font-family:sans-serif;max-width:75em;margin:auto}"
                     "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
                     "text-align:right}td:first-child{text-align:left}</style>",
                     "<h1>nncomp benchmark report</h1>"]
    written = []
    seen: dict[str, int] = {}  # a corpus' sections so far: a later one's plots get -2, -3, ...
    for doc in docs:
        m = doc["meta"]
        machine = (f"Machine: {m['cpu']} ({m['logical_cpus']} logical CPUs, ISA {m['isa']}), "
                   f"GPU: {m.get('gpu') or 'none'}, {m['os']}; Python {m['python']}, torch {m.get('torch')}, "
                   f"numpy {m['numpy']}, zstandard {m.get('zstandard')}, constriction {m.get('constriction')}, "
                   f"nncomp {m['nncomp']}. Date {m['date']}. Command: `{m['command']}`.")
        method = (f"Method: every codec in-process through its reference library, one worker process "
                  f"per (codec, file, direction); fast codecs repeated until ≥ 1 s and ≥ 3 runs (median), "
                  f"nncomp once; MB = 10^6 bytes of uncompressed data; every row verified by a round trip. "
                  f"Energy `estimate` = CPU-seconds × {m.get('cpu_watts_per_core')} W per busy core "
                  f"(no RAPL counters readable here); `rapl`/`nvml` are measured counters.")
        md += [machine, "", method, ""]
        hp += [f"<p>{html.escape(machine)}</p><p>{html.escape(method)}</p>"]
        for corpus, rows in corpus_rows(doc).items():
            front = pareto(rows)
            info = m.get("corpora", {}).get(corpus, {})
            n = rows[0].n if rows else 0
            md += [f"## {corpus}", "", f"{info.get('description', '')} — {n:,} bytes in "
                   f"{rows[0].files if rows else 0} file(s). ★ = on the Pareto front (bits/byte vs "
                   f"compression speed). \"model\" = the network's own cross-entropy.", ""]
            t = _table(rows, front)
            md += [_md_table(t), ""]
            hp += [f"<h2>{html.escape(corpus)}</h2>", _html_table(t)]
            pub = [p for p in PUBLISHED if p[0] == corpus.split(":")[0] and ":" not in corpus]
            if pub:
                md += ["Published, **not measured here**:", ""]
                md += [f"- {p[1]}: {p[2]:.3f} bits/byte" + (f" ({p[3]:,} bytes)" if p[3] else "")
                       + f" — {p[4]}" for p in pub]
                md += [""]
                hp += ["<p>Published, <b>not measured here</b>:</p><ul>"
                       + "".join(f"<li>{html.escape(p[1])}: {p[2]:.3f} bits/byte — {html.escape(p[4])}</li>"
                                 for p in pub) + "</ul>"]
            trade = tradeoff(rows, transfer_kwh_per_gb, storage_kwh_per_gb_year)
            md += ["### The trade-off", ""] + [f"- {line}" for line in trade] + [""]
            hp += ["<h3>The trade-off</h3><ul>" + "".join(f"<li>{html.escape(line).replace('**', '')}</li>"
                                                         for line in trade) + "</ul>"]
            seen[corpus] = seen.get(corpus, 0) + 1
            tag = f"-{seen[corpus]}" if seen[corpus] > 1 else ""
            for name in plots(corpus, rows, front, out, tag):
                written.append(out / name)
                md += [f"![{name}]({name})", ""]
                hp += [f"<p><img src='{name}' alt='{name}'></p>"]
    units = everyday(1.0)
    foot = (f"Everyday units: 1 Wh = {units['phone_charges']:.3g} phone charges (15 Wh) = "
            f"{units['ev_metres']:.3g} m in an electric car (150 Wh/km) = {units['raclette_seconds']:.3g} s "
            f"of a 1500 W raclette grill = {units['bulb_hours']:.3g} h of a 7 W bulb. Break-even assumes "
            f"{transfer_kwh_per_gb} kWh per GB transferred (Aslan et al. 2018, 2015 figure; networks have "
            f"become more efficient since, which lengthens the break-even) and {storage_kwh_per_gb_year} "
            f"kWh per GB-year stored (an assumption); both are options of `nncomp report`.")
    md += ["---", "", foot, ""]
    hp += [f"<hr><p>{html.escape(foot)}</p>"]
    (out / "report.md").write_text("\n".join(md))
    (out / "report.html").write_text("\n".join(hp))
    return [out / "report.md", out / "report.html", *written]
