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
    rss_base_kb: int = 0  # the worker's RSS before the codec ran (the interpreter, its imports)
    kinds: str = ""  # nncomp rows: the kinds of frame written (model, zpaq, ppmd, lzma, stored)

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
                rss_base_kb=min([min(r.get("c_rss_base_kb", 0), r.get("d_rss_base_kb", 0))
                                 for r in ok] or [0]),
                error="; ".join(errors),
                model_bits=None if not bits or None in bits else sum(b for b in bits if b),
                files=len(rs),
                kinds=",".join(sorted({k for r in ok for k in r.get("kind", "").split(",") if k}))))
    return out


def pareto(rows: list[Row], speed=lambda r: r.c_MBps) -> set[str]:
    """Codecs no other codec beats on both bits per byte and speed (compression by default)."""
    good = [r for r in rows if not r.error]
    front = set()
    for r in good:
        if not any((o.bpb <= r.bpb and speed(o) >= speed(r)) and (o.bpb < r.bpb or speed(o) > speed(r))
                   for o in good):
            front.add(r.codec)
    return front


def _labels(ax, points: list[tuple[float, float, str]]) -> None:
    """Annotate points, moving a label down a line's height where it would sit on an earlier
    one (points sorted by ratio; the axes' own coordinates decide what overlaps)."""
    placed: list[tuple[float, float]] = []
    ax.figure.canvas.draw()
    for x, y, text in sorted(points, key=lambda p: p[1]):
        px, py = ax.transData.transform((x, y))
        dy = 3
        while any(abs(px - qx) < 70 and abs(py + dy - qy) < 9 for qx, qy in placed):
            dy -= 9
        placed.append((px, py + dy))
        ax.annotate(text, (x, y), fontsize=7, xytext=(4, dy), textcoords="offset points")


def _speed(mbps: float) -> str:
    if not math.isfinite(mbps):
        return "-"
    return f"{mbps:.1f} MB/s" if mbps >= 1 else f"{mbps * 1e3:.1f} kB/s"


def _energy(j: Optional[float]) -> str:
    """Joules per MB, one unit for the whole column."""
    if j is None:
        return "-"
    return f"{j:,.0f}" if j >= 100 else f"{j:.3g}"


def _duration(seconds: float) -> str:
    """A time as a person reads it: 4 s, 3.2 min, 5.1 h, 2.3 days."""
    if not math.isfinite(seconds):
        return "-"
    for unit, k in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * k if unit == "days" else seconds >= k:
            return f"{seconds / k:.1f} {unit}"
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.2f} s"


def _table(rows: list[Row], front: set[str]) -> list[list[str]]:
    out = [["codec", "bytes", "bits/byte", "compress", "decompress", "1 GB: C / D",
            "memory", "energy C (J/MB)", "energy D (J/MB)", "energy method", "Pareto"]]
    for r in sorted(rows, key=lambda r: (bool(r.error), r.bpb)):
        if r.error:
            out.append([r.codec, "ERROR", r.error, *[""] * 8])
            continue
        bpb = f"{r.bpb:.3f}"
        if r.model_bits is not None and r.n:
            bpb += f" (model {r.model_bits / r.n:.3f})"
        gb = f"{_duration(1e9 / (r.c_MBps * 1e6))} / {_duration(1e9 / (r.d_MBps * 1e6))}"
        mem = f"{max(r.rss_kb - r.rss_base_kb, 0) / 1024:.0f} MiB"
        out.append([r.codec, f"{r.compressed:,}", bpb, _speed(r.c_MBps), _speed(r.d_MBps), gb, mem,
                    _energy(r.j_per_MB("c")), _energy(r.j_per_MB("d")), r.method,
                    "★" if r.codec in front else ""])
    return out


def _file_table(doc: dict, corpus: str) -> list[list[str]]:
    """Bits/byte per file (rows) and codec (columns): where text and binary differ."""
    codecs = [c["name"] for c in doc["codecs"]]
    files: dict[str, dict[str, str]] = {}
    for c in doc["codecs"]:
        for r in c["results"]:
            if r["corpus"] == corpus:
                files.setdefault(r["file"], {})[c["name"]] = (
                    "ERROR" if "error" in r else f"{r['bpb']:.3f}" if r["n"] else "-")
    return [["file", *codecs]] + [[f, *(v.get(c, "") for c in codecs)] for f, v in files.items()]


def _conventional(rows: list[Row]) -> list[Row]:
    return [r for r in rows if not r.error and not r.codec.startswith("nncomp")]


def dominated_by(r: Row, rows: list[Row]) -> Optional[Row]:
    """A conventional row at least as small and as fast both ways, and no more energy, as r."""
    for o in sorted(_conventional(rows), key=lambda o: o.bpb):
        energy_ok = (o.c_j is None or r.c_j is None or o.c_j <= r.c_j) and (
            o.d_j is None or r.d_j is None or o.d_j <= r.d_j)
        if o.bpb <= r.bpb and o.c_MBps >= r.c_MBps and o.d_MBps >= r.d_MBps and energy_ok:
            return o
    return None


def verdict(rows: list[Row]) -> list[str]:
    """The headline of a corpus: each nncomp row against the conventional codec with the best
    ratio, or the conventional codec that beats it on every count."""
    conv = _conventional(rows)
    if not conv:
        return []
    best = min(conv, key=lambda r: r.bpb)
    return [_verdict(r, rows, best) for r in rows if r.codec.startswith("nncomp") and not r.error]


def _frames(r: Row) -> str:
    """Where an nncomp row is not all the network's work: its kinds of frame, and the
    network's own bits/byte."""
    if r.kinds in ("", "model"):
        return ""
    own = f"; the network alone codes {r.model_bits / r.n:.3f}" if r.model_bits and r.n else ""
    return f" (its frames: {r.kinds.replace(',', ', ')}{own})"


def _verdict(r: Row, rows: list[Row], best: Row) -> str:
    dom = dominated_by(r, rows)
    if dom is not None:
        return (f"**{dom.codec} beats {r.codec} here** on size, both speeds and energy "
                f"({dom.bpb:.3f} against {r.bpb:.3f} bits/byte{_frames(r)}): use {dom.codec}.")
    smaller = 100 * (1 - r.bpb / best.bpb)
    slower = best.d_MBps / r.d_MBps if r.d_MBps else math.inf
    energy = (f", {r.d_j / best.d_j:,.0f}× the energy to decompress" if r.d_j and best.d_j
              else "")
    if smaller > 0:
        return (f"**{r.codec}** is {smaller:.1f} % smaller than the best conventional codec here "
                f"({best.codec}, {best.bpb:.3f} bits/byte{_frames(r)}), {slower:,.0f}× slower to "
                f"decompress{energy}: worth it only where bytes, not time or energy, are what is "
                "scarce (the trade-off below says when the energy is repaid).")
    return (f"**{r.codec}** is {-smaller:.1f} % larger than {best.codec} ({r.bpb:.3f} against "
            f"{best.bpb:.3f} bits/byte{_frames(r)}) and {slower:,.0f}× slower to decompress: "
            f"{best.codec} is the better choice here.")


def tradeoff(rows: list[Row], transfer_kwh_per_gb: float, storage_kwh_per_gb_year: float) -> list[str]:
    """Bytes saved against xz -9e, the energy they cost, and when (if ever) that energy is repaid.

    Storage: compress once, keep the smaller file for years, decompress once. Transfer: compress
    once, and every transfer is decompressed by its receiver, so each one saves network energy
    but pays the extra decompression energy again.
    """
    with_energy = [r for r in _conventional(rows) if r.c_j is not None and r.d_j is not None]
    ref = min(with_energy, key=lambda r: r.bpb) if with_energy else None
    lines = []
    if ref is None or ref.c_j is None or ref.d_j is None:
        return ["(no verified conventional row with energy: no trade-off computed)"]
    for r in rows:
        if not r.codec.startswith("nncomp") or r.error or r.c_j is None or r.d_j is None:
            continue
        assert ref.compressed is not None and r.compressed is not None  # no error rows here
        saved = ref.compressed - r.compressed
        extra_c_wh, extra_d_wh = (r.c_j - ref.c_j) / 3600, (r.d_j - ref.d_j) / 3600
        verb = "saves" if saved >= 0 else "costs"
        head = (f"**{r.codec}** vs {ref.codec} (the smallest conventional) {verb} {abs(saved):,} bytes "
                f"({100 * abs(saved) / ref.compressed:.1f} %"
                f"{'' if saved >= 0 else ' more'}); extra "
                f"energy to compress: {everyday_text(extra_c_wh)}; to decompress: "
                f"{everyday_text(extra_d_wh)}.")
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
                         f"energy but its decompression costs {extra_d_wh:.3g} Wh more than {ref.codec}'s")
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
    for which, speed in (("compression", lambda r: r.c_MBps), ("decompression", lambda r: r.d_MBps)):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for r in good:
            nn = r.codec.startswith("nncomp")
            ax.scatter(speed(r), r.bpb, marker="o" if nn else "s", color="C3" if nn else "C0", zorder=3)
        _labels(ax, [(speed(r), r.bpb, r.codec) for r in good])
        f = sorted((r for r in good if r.codec in pareto(rows, speed)), key=speed)
        if f:
            ax.plot([speed(r) for r in f], [r.bpb for r in f], "--", color="grey",
                    label="Pareto front", zorder=2)
            ax.legend(loc="upper left", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel(f"{which} speed (MB/s, log scale; MB = 10^6 bytes of input)")
        ax.set_ylabel("bits per byte (lower is better)")
        ax.set_title(f"{corpus}: ratio against {which} speed")
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        name = f"pareto{'' if which == 'compression' else '-d'}-{_slug(corpus)}{tag}.png"
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
        names.append(name)

    with_e = [r for r in good if r.c_j is not None and r.d_j is not None]
    if with_e:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        labels = [r.codec for r in with_e]
        c = [r.j_per_MB("c") or 0.0 for r in with_e]
        d = [r.j_per_MB("d") or 0.0 for r in with_e]
        x = range(len(with_e))
        ax.bar([i - 0.2 for i in x], c, 0.4, label="compress")
        ax.bar([i + 0.2 for i in x], d, 0.4, label="decompress")
        ax.set_yscale("log")
        ax.set_xticks(list(x), labels, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("joules per MB of input (log scale)")
        ax2 = ax.secondary_yaxis("right", functions=(_j_to_phone, _phone_to_j))
        ax2.set_ylabel("thousandths of a phone charge per MB")
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


def _j_to_phone(j):
    """Joules as thousandths of a 15 Wh phone charge (the energy plot's right axis)."""
    return j / 3600 / 15 * 1e3


def _phone_to_j(m):
    return m * 15 / 1e3 * 3600


def _html_bold(line: str) -> str:
    """Markdown's **bold** as HTML, the rest escaped."""
    parts = html.escape(line).split("**")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


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
        counters = m.get("energy_counters", "")
        estimate = (f"Energy `estimate` = CPU-seconds × {m.get('cpu_watts_per_core')} W per busy core"
                    + (f" ({counters})" if counters and counters != "rapl" else "")
                    + "; `rapl`/`nvml` rows are measured counters.")
        method = ("Method: every codec in-process through its reference library, one worker process "
                  "per (codec, file, direction); fast codecs repeated until ≥ 1 s and ≥ 3 runs, the "
                  "median reported (lzbench reports the fastest run, which flatters on a noisy "
                  "machine); nncomp once; MB = 10^6 bytes of uncompressed data; every row verified by "
                  "a round trip; memory is the worker's peak RSS above its RSS before the codec ran. "
                  + estimate)
        md += [machine, "", method, ""]
        hp += [f"<p>{html.escape(machine)}</p><p>{html.escape(method)}</p>"]
        load = m.get("load_before")
        if load and m.get("cpus_available") and load[0] > 0.5 * m["cpus_available"]:
            warn = (f"**Warning: the machine was busy** (load {load[0]:.1f} on {m['cpus_available']} "
                    "CPUs when the run began): speeds and energy are not representative.")
            md += [warn, ""]
            hp += [f"<p><b>{html.escape(warn.replace('**', ''))}</b></p>"]
        for corpus, rows in corpus_rows(doc).items():
            front = pareto(rows)
            info = m.get("corpora", {}).get(corpus, {})
            n = rows[0].n if rows else 0
            head = verdict(rows)
            md += [f"## {corpus}", ""] + [f"- {line}" for line in head] + [""]
            md += [f"{info.get('description', '')} — {n:,} bytes in "
                   f"{rows[0].files if rows else 0} file(s). ★ = on the Pareto front (bits/byte vs "
                   f"compression speed). \"model\" = the network's own cross-entropy.", ""]
            t = _table(rows, front)
            md += [_md_table(t), ""]
            hp += [f"<h2>{html.escape(corpus)}</h2><ul>"
                   + "".join(f"<li>{_html_bold(line)}</li>" for line in head) + "</ul>",
                   _html_table(t)]
            if rows and rows[0].files > 1:
                ft = _file_table(doc, corpus)
                md += ["Bits/byte per file:", "", _md_table(ft), ""]
                hp += ["<p>Bits/byte per file:</p>", _html_table(ft)]
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
            hp += ["<h3>The trade-off</h3><ul>" + "".join(f"<li>{_html_bold(line)}</li>"
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
