"""The CUDA path (issue: ratio and speed, item 5). GPU tests skip cleanly without one; the
refusals a CPU-only machine must give run everywhere."""
from __future__ import annotations

import dataclasses
import io
import subprocess
from unittest import mock

import pytest
import torch

import nncomp
from nncomp import api, frame, presets
from nncomp.engine import determinism
from nncomp.format import container
from nncomp.checkpoint import Checkpoint
from nncomp.errors import EnvironmentMismatchError
from conftest import FLOAT_TEST, HAVE_CUDA, TEXT, Crash, crashing, needs_cuda, small_text_archive
from test_container import _edit_header

DATA = TEXT[:3000]


def test_bad_device_names_are_refused():
    for bad in ("tpu", "cuda:x", "cpu:0", ""):
        with pytest.raises(ValueError, match="use 'cpu', 'cuda' or 'cuda:N'"):
            nncomp.compress(DATA, "test", device=bad)


@pytest.mark.skipif(HAVE_CUDA, reason="a GPU is present")
def test_cuda_without_a_gpu_is_refused(nncomp_cmd, tmp_path):
    with pytest.raises(EnvironmentMismatchError, match="no CUDA GPU"):
        nncomp.compress(DATA, "test", device="cuda")
    r = subprocess.run([*nncomp_cmd, "--device", "cuda", "-c", "-"], input=DATA, capture_output=True)
    assert r.returncode != 0 and b"no CUDA GPU" in r.stderr and not r.stdout


def test_gpu_archive_on_a_machine_without_one_names_the_gpu():
    def edit(h):
        h["fingerprint"].update(device="cuda", gpu="NVIDIA H200 sm_90 cuda 13.0 cudnn 91300")
    blob = _edit_header(nncomp.compress(DATA, "test", config=FLOAT_TEST, fallback=False), edit)
    with mock.patch.object(determinism, "cuda_available", return_value=False):
        with pytest.raises(EnvironmentMismatchError, match="coded on a GPU .NVIDIA H200"):
            nncomp.decompress(blob)
        # At the user's risk: tried on the CPU, which here computes the floats the archive
        # was really coded with, so the checksum passes.
        assert nncomp.decompress(blob, ignore_fingerprint=True) == DATA


def test_max_takes_fewer_longer_streams_on_a_gpu():
    """And few streams keep bf16 there: float32 for them was measured on CPUs only. Large
    inputs may still use many streams there: the CPU's cap is for its compute-bound step."""
    cpu, gpu = presets.get("max"), presets.get("max", "cuda:0")
    assert gpu.stream_len > cpu.stream_len and gpu.max_streams > cpu.max_streams
    assert gpu == dataclasses.replace(cpu, stream_len=gpu.stream_len, max_streams=gpu.max_streams,
                                      float32_below=0)
    dickens = 3_150_000  # symbols after max's dictionary, about
    assert presets.resolve(gpu, dickens).streams < presets.resolve(cpu, dickens).streams
    assert presets.get("default", "cuda") == dataclasses.replace(presets.get("default"),
                                                                 float32_below=0)


# -- on a GPU --

@needs_cuda
@pytest.mark.cuda
def test_a_presets_gpu_config_is_coded_and_decoded():
    with mock.patch.dict(presets.ON_CUDA, {"test": {"hidden": 24}}):
        blob, info = api.compress_info(DATA, "test", device="cuda", fallback=False)
    assert info.config.hidden == 24
    assert nncomp.decompress(blob) == DATA


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("preset", ["test", "fast", "default", "max"])
def test_the_gpu_and_the_cpu_write_and_read_the_same_archive(preset):
    """The exact engine: the GPU's torch operations and the CPU's numba loops, the same bytes."""
    gpu = nncomp.compress(DATA, preset, device="cuda", fallback=False)
    assert gpu == nncomp.compress(DATA, preset, fallback=False)
    assert nncomp.decompress(gpu, device="cuda") == DATA == nncomp.decompress(gpu)


@needs_cuda
@pytest.mark.cuda
def test_the_float_engines_cuda_round_trip_is_deterministic():
    blob = nncomp.compress(DATA, "test", config=FLOAT_TEST, device="cuda", fallback=False)
    frame = container.read_frame(blob, 0)[0]
    assert frame.kind == container.KIND_MODEL
    assert frame.fingerprint["device"] == "cuda"
    assert torch.cuda.get_device_name(0) in frame.fingerprint["gpu"]
    assert nncomp.compress(DATA, "test", config=FLOAT_TEST, device="cuda", fallback=False) == blob
    assert nncomp.decompress(blob) == DATA


@needs_cuda
@pytest.mark.cuda
def test_cuda_graphs_compute_the_eager_floats(monkeypatch):
    """The float engine's GPU step replays a CUDA graph (the exact network has none)."""
    graphed = nncomp.compress(DATA, "test", config=FLOAT_TEST, device="cuda", fallback=False)
    monkeypatch.setenv("NNCOMP_CUDA_GRAPHS", "0")
    assert nncomp.compress(DATA, "test", config=FLOAT_TEST, device="cuda", fallback=False) == graphed
    assert nncomp.decompress(graphed) == DATA


@needs_cuda
@pytest.mark.cuda
def test_cuda_with_a_text_dictionary():
    with mock.patch.object(frame, "MIN_TEXT_LENGTH", 0), mock.patch.object(frame, "BYTES_PER_MERGE", 16):
        blob = nncomp.compress(TEXT, "test", device="cuda", fallback=False)
    assert container.read_frame(blob, 0)[0].dictionary is not None
    assert nncomp.decompress(blob) == TEXT
    assert nncomp.decompress(small_text_archive()) == TEXT  # a CPU archive still decodes here


@needs_cuda
@pytest.mark.cuda
def test_callers_precision_switches_do_not_change_the_bits():
    ref = nncomp.compress(DATA, "test", device="cuda", fallback=False)
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        assert nncomp.compress(DATA, "test", device="cuda", fallback=False) == ref
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == old


@needs_cuda
@pytest.mark.cuda
def test_cuda_resume_from_a_checkpoint_is_byte_identical(tmp_path):
    data = TEXT * 3

    def run(ck=None):
        out = io.BytesIO()
        api.compress_stream(io.BytesIO(data), out, "test", block_size=8192, device="cuda",
                            checkpoint=ck, fallback=False)
        return out.getvalue()
    reference = run()
    path = str(tmp_path / "ck")
    with pytest.raises(Crash):
        run(crashing(Checkpoint(path, interval=0), 3))
    assert run(Checkpoint(path, interval=0)) == reference
    assert nncomp.decompress(reference) == data


@needs_cuda
@pytest.mark.cuda
def test_cli_device_cuda(nncomp_cmd, tmp_path):
    src = tmp_path / "t.txt"
    src.write_bytes(DATA)
    subprocess.run([*nncomp_cmd, "-p", "test", "--device", "cuda", "--no-fallback", str(src)],
                   check=True)
    arc = tmp_path / "t.txt.nnc"
    assert arc.read_bytes() == nncomp.compress(DATA, "test", fallback=False)  # the CPU's bytes
    for device in ("cuda", "cpu"):
        out = subprocess.run([*nncomp_cmd, "-d", "-c", "--device", device, str(arc)], check=True,
                             capture_output=True).stdout
        assert out == DATA
