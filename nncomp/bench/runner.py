"""The benchmark runner: every codec, learned or conventional, behind one `Codec` interface
(nncomp/bench/codec.py).

Each (codec, file, direction) runs in a fresh worker process so that its peak RSS is its own.
The compress worker times `compress` (repeated until >= 1 s and >= 3 runs for fast codecs;
nncomp runs once) and writes the blob; the decompress worker times `decompress` and verifies
the round trip: a mismatch becomes an ERROR row, never a number. Speeds use MB = 10^6 bytes
of *uncompressed* data per second, as lzbench does. Progress goes to stderr.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from .._version import __version__
from ..system.machine import available_cores, cpu_info
from .codec import Codec
from .codecs import NNCompCodec, make_codec
from .corpora import Resolved
from .energy import EnergyMeter, RaplCounter

SCHEMA = "nncomp-bench/1"
MIN_SECONDS, MIN_RUNS = 1.0, 3


def _status_kb(field: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb() -> int:
    return _status_kb("VmRSS")


def _peak_rss_kb() -> int:
    """This process image's own peak (VmHWM; its ru_maxrss would inherit the parent's from
    fork), plus the largest peak of the children it waited for (nncomp decodes ZPAQ frames in
    one, while this process holds its own memory)."""
    own = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def _timed(codec: Codec, fn: Callable[[], bytes], meter: EnergyMeter) -> dict:
    runs: list[tuple[float, float, Any]] = []
    out = b""
    total = 0.0
    while True:
        out, wall, cpu, energy = meter.measure(fn)
        runs.append((wall, cpu, energy))
        total += wall
        if codec.slow or (len(runs) >= MIN_RUNS and total >= MIN_SECONDS):
            break
    walls = [r[0] for r in runs]
    mid = sorted(range(len(runs)), key=lambda i: walls[i])[len(runs) // 2]
    wall, cpu, energy = runs[mid]
    return {"out": out, "wall_s": statistics.median(walls), "cpu_s": cpu, "runs": len(runs),
            "energy_j": energy.joules, "energy_method": energy.method, "energy_detail": energy.detail}


def worker(spec: dict) -> dict:
    """One direction of one codec on one file, in this (fresh) process."""
    codec = make_codec(spec["codec"])
    if isinstance(codec, NNCompCodec):
        from ..system.malloc import keep_freed_memory
        keep_freed_memory()  # as the nncomp command does
    meter = EnergyMeter(spec["cpu_watts"], spec["gpu_watts"],
                        gpus=[0] if codec.device.startswith("cuda") else None)
    with open(spec["input"], "rb") as f:
        data = f.read(spec["n"])
    if spec["direction"] == "c":
        rss0 = _rss_kb()
        r = _timed(codec, lambda: codec.compress(data), meter)
        with open(spec["blob"], "wb") as f:
            f.write(r.pop("out"))
        r.update(codec.extra())
    else:
        with open(spec["blob"], "rb") as f:
            blob = f.read()
        rss0 = _rss_kb()
        r = _timed(codec, lambda: codec.decompress(blob), meter)
        r["verified"] = r.pop("out") == data
    r["rss_base_kb"] = rss0
    r["rss_peak_kb"] = _peak_rss_kb()
    return r


def _run_worker(spec: dict, timeout: Optional[float]) -> dict:
    p = subprocess.run([sys.executable, "-m", "nncomp.bench.runner", json.dumps(spec)],
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["worker failed"])[-1]
        raise RuntimeError(tail)
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(codec_name: str, path: str, n: int, cpu_watts: float, gpu_watts: float,
            timeout: Optional[float] = None, log: Callable[[str], None] = lambda s: None) -> dict:
    """Compress then decompress-and-verify one file; returns one results row."""
    row: dict[str, Any] = {"n": n}
    with tempfile.TemporaryDirectory(prefix="nncomp-bench-") as tmp:
        blob = os.path.join(tmp, "blob")
        spec = {"codec": codec_name, "input": path, "n": n, "blob": blob,
                "cpu_watts": cpu_watts, "gpu_watts": gpu_watts}
        try:
            c = _run_worker({**spec, "direction": "c"}, timeout)
            size = os.path.getsize(blob)
            # A slow codec's decompression takes as long again: say what compression gave first.
            if c["wall_s"] >= 10:
                log(f"    compressed to {size} bytes ({8 * size / n if n else 0:.3f} bpb) in"
                    f" {c['wall_s']:.1f} s = {n / c['wall_s'] / 1e3:.1f} kB/s; decompressing")
            d = _run_worker({**spec, "direction": "d"}, timeout)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            return {**row, "error": str(e) or type(e).__name__}
    if not d["verified"]:
        return {**row, "error": "round trip mismatch"}
    row.update({
        "compressed": size,
        "bpb": 8 * size / n if n else None,
        "ratio": n / size if size else None,
        "c_wall_s": c["wall_s"], "d_wall_s": d["wall_s"],
        "c_cpu_s": c["cpu_s"], "d_cpu_s": d["cpu_s"],
        "c_MBps": n / c["wall_s"] / 1e6 if c["wall_s"] > 0 else None,
        "d_MBps": n / d["wall_s"] / 1e6 if d["wall_s"] > 0 else None,
        "c_runs": c["runs"], "d_runs": d["runs"],
        "c_rss_peak_kb": c["rss_peak_kb"], "d_rss_peak_kb": d["rss_peak_kb"],
        "c_rss_base_kb": c["rss_base_kb"], "d_rss_base_kb": d["rss_base_kb"],
        "c_energy_j": c["energy_j"], "d_energy_j": d["energy_j"],
        "energy_method": c["energy_method"], "energy_detail": c["energy_detail"],
        "verified": True,
    })
    if "model_bits" in c:
        row["model_bits"] = c["model_bits"]
        row["stored"] = c["stored"]
        row["kind"] = c["kind"]
        row["streams"] = c["streams"]
    return row


def machine_meta(argv: Optional[list[str]] = None) -> dict:
    import numpy
    cpu, isa = cpu_info()
    meta = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(argv if argv is not None else sys.argv),
        "cpu": cpu, "isa": isa, "logical_cpus": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "nncomp": __version__, "numpy": numpy.__version__,
        "mb": "10^6 bytes; speeds are uncompressed MB per second",
        "statistic": "median wall time of >= 3 runs and >= 1 s for fast codecs; one run for nncomp",
        "load_before": list(os.getloadavg()),
        "cpus_available": available_cores(),
        "energy_counters": RaplCounter().reason or "rapl",
    }
    try:
        import torch
        meta["torch"] = torch.__version__
        meta["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        meta["torch"] = None
    for mod in ("zstandard", "constriction", "brotli"):
        try:
            from importlib.metadata import version
            meta[mod] = version(mod if mod != "brotli" else "Brotli")
        except Exception:
            meta[mod] = None
    return meta


def run(corpora: list[Resolved], codec_names: list[str], cpu_watts: float, gpu_watts: float,
        argv: Optional[list[str]] = None, log: Callable[[str], None] = lambda s: None) -> dict:
    """Benchmark every codec on every file of every corpus; returns the results document."""
    meta = machine_meta(argv)  # before the runs: the load they start on
    if meta["load_before"][0] > 0.5 * meta["cpus_available"]:
        log(f"warning: this machine is busy (load {meta['load_before'][0]:.1f} on "
            f"{meta['cpus_available']} CPUs): speeds and energy will be off")
    codecs = {name: make_codec(name) for name in codec_names}
    results: dict[str, list] = {name: [] for name in codec_names}
    jobs = [(c, corpus, i) for corpus in corpora for c in codec_names for i in range(len(corpus.files))]
    # Per codec: (bytes, seconds of one compress + one decompress) of its largest file so far;
    # small files overstate the cost per byte (fixed costs), so the largest one is the guide.
    observed: dict[str, tuple[int, float]] = {}

    def eta(k: int) -> str:
        def guess(codec: str, n_: int) -> float:
            if codec in observed:
                size, secs = observed[codec]
                return n_ * secs / size
            # Unseen: nncomp ~5 kB/s both ways, the others ~1 MB/s, plus worker start-up.
            return n_ * (4e-4 if codec.startswith("nncomp") else 2e-6)
        runs = MIN_RUNS  # fast codecs repeat (>= 3 runs, >= 1 s each way)
        left = sum(max(guess(c_, corp.files[i_][2]) * (1 if c_.startswith("nncomp") else runs),
                       0 if c_.startswith("nncomp") else 2 * MIN_SECONDS)
                   for c_, corp, i_ in jobs[k:])
        return f", ETA {left / 60:.1f} min" if k else ""

    for k, (cname, corpus, i) in enumerate(jobs):
        fname, path, n = corpus.files[i]
        log(f"[{k + 1}/{len(jobs)}] {cname} on {corpus.name}/{fname} ({n} bytes){eta(k)}")
        row = measure(cname, str(path), n, cpu_watts, gpu_watts, log=log)
        row.update({"corpus": corpus.name, "file": fname, "sha256": corpus.sha256.get(fname)})
        if "error" in row:
            log(f"    ERROR: {row['error']}")
        else:
            log(f"    {row['bpb']:.3f} bpb, C {row['c_MBps'] * 1e3:.1f} kB/s, D {row['d_MBps'] * 1e3:.1f} kB/s")
            if n >= observed.get(cname, (0, 0.0))[0] and n:
                observed[cname] = (n, row["c_wall_s"] + row["d_wall_s"])
        results[cname].append(row)
    return {
        "schema": SCHEMA,
        "meta": {**meta, "load_after": list(os.getloadavg()),
                 "cpu_watts_per_core": cpu_watts, "gpu_watts": gpu_watts,
                 "corpora": {c.name: {"description": c.description,
                                      "files": {f: {"bytes": n, "sha256": c.sha256.get(f)}
                                                for f, _, n in c.files}} for c in corpora}},
        "codecs": [{"name": name, "description": codecs[name].description,
                    "meta": codecs[name].meta(), "results": results[name]} for name in codec_names],
    }


def validate(doc: dict) -> None:
    """Check a results document's shape (used by `nncomp report` and the tests)."""
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} document")
    if not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("codecs"), list):
        raise ValueError("results document lacks meta or codecs")
    for c in doc["codecs"]:
        if set(c) != {"name", "description", "meta", "results"}:
            raise ValueError(f"codec entry has fields {sorted(c)}")
        for r in c["results"]:
            for key in ("corpus", "file", "n"):
                if key not in r:
                    raise ValueError(f"result row lacks {key}")
            if "error" not in r:
                for key in ("compressed", "bpb", "c_MBps", "d_MBps", "energy_method", "verified"):
                    if key not in r:
                        raise ValueError(f"result row lacks {key}")


if __name__ == "__main__":
    print(json.dumps(worker(json.loads(sys.argv[1]))))
