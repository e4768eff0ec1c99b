"""The exact engine (engine 3): the same archive bytes whatever the kernels, thread count or
instruction set, golden archives that decode on whatever machine runs the suite, and the
arithmetic it is built from. Nothing here skips: every machine can run every case."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import random
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

import nncomp
from nncomp import api, presets
from nncomp.checkpoint import Checkpoint
from nncomp.config import ModelConfig
from nncomp.errors import CorruptDataError
from nncomp.format import container, rangecoder
from nncomp.system.machine import cpu_info
from conftest import ALICE, Crash, crashing

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden"
DATA = ALICE.read_bytes()[:3000]
# Every part of the model at once, tiny: two layers, several streams, match, context, SSE, a text
# dictionary's wide vocabulary left out (bytes), a falling learning rate.
MINI = dataclasses.replace(presets.PRESETS["test"], layers=2, hidden=24, embed=8, max_streams=3,
                           stream_len=800, lr_end=2e-3, context=3)


# -- the arithmetic --

def test_tables_are_the_correctly_rounded_functions():
    """Each entry, recomputed here from decimal's exp one at a time, at the interval's midpoint."""
    import torch
    from nncomp.net import fixed
    t = fixed.tables("cpu")
    n = fixed.SPAN << fixed.LB
    rng = random.Random(1)
    with localcontext() as ctx:
        ctx.prec = 50
        for j in [0, n - 1, n, 2 * n - 1] + rng.sample(range(2 * n), 60):
            x = (Decimal(j - n) + Decimal("0.5")) / (1 << fixed.LB)
            sig = 1 / (1 + (-x).exp())
            tanh = (1 - (-2 * x).exp()) / (1 + (-2 * x).exp())
            assert t["SIG"][j].item() * 2**fixed.VB == int((sig * 2**fixed.VB).to_integral_value())
            assert t["TANH"][j].item() * 2**fixed.VB == int((tanh * 2**fixed.VB).to_integral_value())
        for j in [0, 1, len(t["EXP"]) - 1] + rng.sample(range(len(t["EXP"])), 60):
            e = (-(Decimal(j) + Decimal("0.5")) / (1 << fixed.LB)).exp()
            assert t["EXP"][j].item() == max(1, int((e * 2**fixed.EXP_BITS).to_integral_value()))
    assert torch.all(t["SIG"][1:] >= t["SIG"][:-1]) and torch.all(t["TANH"][1:] >= t["TANH"][:-1])


def test_shapes_beyond_exact_sums_are_refused():
    from nncomp import config
    from nncomp.net import fixed
    # The bounds config.py states are the grids fixed.py computes on.
    assert config.EXACT_W_INT == int(fixed.WMAX) << fixed.WB
    assert config.EXACT_X_INT == int(fixed.XMAX) << fixed.AB
    assert config.EXACT_G_INT == 1 << fixed.GB
    with pytest.raises(ValueError, match="exactly"):
        ModelConfig(streams=4096, bptt=4096, exact=True).check()
    fixed.check_shapes(1088, 20 * 96, 4096)  # the largest preset's
    with pytest.raises(ValueError, match="exactly"):
        fixed.check_shapes(1 << 16, 20, 256)
    with pytest.raises(ValueError, match="exactly"):
        fixed.check_shapes(64, 4096 * 4096, 256)


def test_a_config_names_the_exact_engine_only_for_the_lstm_in_float32():
    ModelConfig(streams=1, exact=True).check()
    with pytest.raises(ValueError, match="exact engine"):
        ModelConfig(streams=1, exact=True, dtype="bfloat16").check()
    with pytest.raises(ValueError, match="exact engine"):
        ModelConfig(streams=1, exact=True, arch="transformer", heads=2, embed=64, hidden=64,
                    memory=8).check()


def _random_rows(rng: np.random.Generator, k: int, V: int) -> tuple[np.ndarray, np.ndarray]:
    """k peaked rows of probabilities [k, V] float32, and a symbol drawn from each."""
    p = rng.dirichlet(np.full(V, 0.05), size=k)
    s = np.array([rng.choice(V, p=r / r.sum()) for r in p])
    return p.astype(np.float32), s


def test_the_range_coder_round_trips_with_segments_and_checks():
    rng = np.random.default_rng(0)
    enc = rangecoder.Encoder()
    rows, syms = [], []
    for step in range(300):
        V = 256 if step < 200 else 4096
        p, s = _random_rows(rng, 5, V)
        enc.code(s, p)
        rows.append(p)
        syms.append(s)
        if step % 50 == 49:
            enc.check()
        if step == 120:
            enc.next_segment()
    payload = enc.finish()
    dec = rangecoder.Decoder(payload)
    for step, (p, s) in enumerate(zip(rows, syms)):
        assert np.array_equal(dec.code(None, p), s)
        if step % 50 == 49:
            dec.check()
        if step == 120:
            dec.next_segment()
    dec.finish()


def test_the_range_coder_costs_what_the_probabilities_say():
    """Within 0.1 % of the cross-entropy, plus the segment's few bytes."""
    rng = np.random.default_rng(1)
    enc = rangecoder.Encoder()
    bits = 0.0
    for _ in range(2000):
        p, s = _random_rows(rng, 8, 256)
        bits -= float(np.log2(p[np.arange(8), s].astype(np.float64)).sum())
        enc.code(s, p)
    size = len(enc.finish())
    assert size * 8 < bits * 1.001 + 8 * 16


def test_the_range_coder_refuses_damage():
    rng = np.random.default_rng(2)
    p, s = _random_rows(rng, 64, 256)
    enc = rangecoder.Encoder()
    enc.code(s, p)
    enc.check()
    payload = bytearray(enc.finish())
    payload[10] ^= 0x40
    dec = rangecoder.Decoder(bytes(payload))
    with pytest.raises(CorruptDataError):
        out = dec.code(None, p)
        dec.check()
        assert np.array_equal(out, s)
    with pytest.raises(CorruptDataError, match="past the payload"):
        rangecoder.Decoder(bytes(payload[:-3]))


# -- the same bytes whatever the machine does --

_CHILD = r"""
import hashlib, json, sys
import nncomp
from nncomp.config import ModelConfig
args = json.loads(sys.argv[1])
data = open(args["data"], "rb").read()
out = {}
for name, cfg in args["configs"].items():
    c = nncomp.Compressor("test", config=ModelConfig.from_dict(cfg) if cfg else None,
                          threads=args["threads"], fallback=False)
    blob = c.compress(data)
    out[name] = hashlib.sha256(blob).hexdigest()
for path in args["decode"]:
    blob = open(path, "rb").read()
    d = nncomp.Decompressor(threads=args["threads"]).decompress(blob)
    out[path] = hashlib.sha256(d).hexdigest()
print(json.dumps(out))
"""

# Each child changes several settings from this process's (its thread count and the CPU's own
# vector width): a child costs seconds of torch import, and two settings that each changed the
# bits would not cancel out.
VARIANTS = [
    ("threads-1-aten-default-mkl-compatible", 1,
     {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE",
      "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}),
    ("threads-3-aten-avx2-onednn-sse41", 3,
     {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "SSE41"}),
]
if "avx512f" in cpu_info()[1].split(","):
    VARIANTS.append(("threads-4-aten-avx512", 4, {"ATEN_CPU_CAPABILITY": "avx512"}))


def _run_children(tmp_path: Path, decode: list[str]) -> dict[str, dict]:
    """Each variant in its own process, two at a time (more would crowd two cores)."""
    data = tmp_path / "input"
    data.write_bytes(DATA)
    configs = {"test": None, "mini": MINI.to_dict()}

    def start(name: str, threads: int, env: dict) -> subprocess.Popen:
        args = json.dumps({"data": str(data), "configs": configs, "threads": threads,
                           "decode": decode})
        return subprocess.Popen([sys.executable, "-c", _CHILD, args], cwd=ROOT,
                                env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    out = {}
    for i in range(0, len(VARIANTS), 2):
        procs = {v[0]: start(*v) for v in VARIANTS[i:i + 2]}
        for name, p in procs.items():
            stdout, stderr = p.communicate(timeout=600)
            assert p.returncode == 0, f"{name}: {stderr[-2000:]}"
            out[name] = json.loads(stdout.strip().splitlines()[-1])
    return out


def test_archives_are_the_same_bytes_under_every_kernel_setting(tmp_path):
    """Thread counts, ATen's vector width, oneDNN's and MKL's instruction sets, each in its own
    process: every archive byte-identical to this process's, and the golden test archive
    decoding to its input."""
    here = {"test": nncomp.Compressor("test", fallback=False).compress(DATA),
            "mini": nncomp.Compressor("test", config=MINI, fallback=False).compress(DATA)}
    want = {k: hashlib.sha256(v).hexdigest() for k, v in here.items()}
    golden = GOLDEN / "test.nnc"  # the others decode in-process below: seconds each
    want[str(golden)] = json.loads((GOLDEN / "inputs.json").read_text())[golden.name]
    results = _run_children(tmp_path, [str(golden)])
    for name, got in results.items():
        assert got == want, f"{name} computed other bits"


def test_the_cpu_loops_compute_what_the_torch_operations_do():
    """On the CPU the elementwise stages run as numba loops (nncomp/net/fused.py); a GPU runs
    the torch operations. Both are run here, on every part of the model: the same archive."""
    from nncomp.net.exact import ExactLSTM
    data = ALICE.read_bytes()[:2500]
    blobs = []
    for fused in (True, False):
        with mock.patch.object(ExactLSTM, "fused", fused):
            blobs.append(nncomp.Compressor("test", config=MINI, fallback=False).compress(data))
    assert blobs[0] == blobs[1]


def test_golden_archives_decode_here():
    """Archives written once by the exact engine (scripts/golden_archives.py, on the machine its
    README row names) decode to their inputs on whatever machine runs this, in-process too."""
    expected = json.loads((GOLDEN / "inputs.json").read_text())
    names = sorted(p.name for p in GOLDEN.glob("*.nnc"))
    assert {"test.nnc", "fast.nnc", "default.nnc", "max.nnc"} <= set(names)
    for name in names:
        blob = (GOLDEN / name).read_bytes()
        frames = list(container.iter_frames(blob))
        assert all(f.kind == container.KIND_MODEL and f.fingerprint["engine"] == 3 for f in frames)
        assert hashlib.sha256(nncomp.decompress(blob)).hexdigest() == expected[name]


def test_a_run_resumes_under_another_thread_count(tmp_path):
    """A checkpoint written with one thread continues with three: the same archive."""
    data = ALICE.read_bytes()[:20_000]

    def compress(threads: int, **kw) -> bytes:
        out = io.BytesIO()
        api.compress_stream(io.BytesIO(data), out, "test", block_size=8192, threads=threads,
                            fallback=False, **kw)
        return out.getvalue()

    reference = compress(2)
    path = str(tmp_path / "ck")
    with pytest.raises(Crash):
        compress(1, checkpoint=crashing(Checkpoint(path, interval=0), 5))
    assert compress(3, checkpoint=Checkpoint(path, interval=0)) == reference
