"""Streaming in blocks, bounded memory, and resumable compression (issue: reliability)."""
from __future__ import annotations

import dataclasses
import io
import os
import resource
import signal
import subprocess
import sys
import time
from unittest import mock

import pytest

import nncomp
from nncomp import api, frame, presets
from nncomp.format import container
from nncomp.checkpoint import Checkpoint, CheckpointError
from conftest import ALICE, Crash, crashing

DATA = ALICE.read_bytes()[:40_000]
BLOCK = 16_384
LATER = 32  # the checkpoint saved as the second frame ends (each frame saves 15 mid-frame ones first)


def _compress(data: bytes, **kw) -> bytes:
    out = io.BytesIO()
    api.compress_stream(io.BytesIO(data), out, "test", block_size=BLOCK, **kw)
    return out.getvalue()


@pytest.fixture(scope="module")
def reference() -> bytes:
    return _compress(DATA)


def test_blocks_are_independent_frames(reference):
    frames = list(container.iter_frames(reference))
    assert [f.length for f in frames] == [BLOCK, BLOCK, len(DATA) - 2 * BLOCK]
    # A block's frame is exactly what one-shot compression of that block gives.
    assert reference.startswith(nncomp.compress(DATA[:BLOCK], "test"))
    out = io.BytesIO()
    assert api.decompress_stream(io.BytesIO(reference), out) == len(DATA)
    assert out.getvalue() == DATA == nncomp.decompress(reference)


def test_listing_reads_an_archive_as_a_stream(reference):
    """nncomp -l: one frame in memory at a time, sizes as in the archive."""
    infos = api.info_stream(io.BytesIO(reference))
    assert [i.length for i in infos] == [BLOCK, BLOCK, len(DATA) - 2 * BLOCK]
    assert sum(i.compressed for i in infos) == len(reference)
    assert infos == nncomp.info(reference)
    with pytest.raises(nncomp.TruncatedDataError):
        api.info_stream(io.BytesIO(reference[:-1]))


def test_stream_edge_cases():
    empty = _compress(b"")
    assert nncomp.decompress(empty) == b""
    exact = b"x" * BLOCK
    arc = _compress(exact)
    assert len(list(container.iter_frames(arc))) == 1 and nncomp.decompress(arc) == exact
    with pytest.raises(nncomp.TruncatedDataError):
        api.decompress_stream(io.BytesIO(b""), io.BytesIO())
    with pytest.raises(nncomp.CorruptDataError, match="trailing garbage"):
        api.decompress_stream(io.BytesIO(empty + b"junk"), io.BytesIO())


@pytest.mark.parametrize("after", [1, 5, LATER], ids=["first-segment", "mid-frame", "later-frame"])
def test_resumed_compression_is_byte_identical(tmp_path, reference, after):
    path = str(tmp_path / "ck")
    with pytest.raises(Crash):
        _compress(DATA, checkpoint=crashing(Checkpoint(path, interval=0), after))
    assert os.path.exists(path) and os.path.exists(path + ".frames")
    saved = __import__("torch").load(path, weights_only=True)
    if after < LATER:
        assert saved["block"] is not None  # the crash came mid-frame, not at a frame boundary
    else:
        assert saved["frames_len"] > 0
    ck = Checkpoint(path, interval=0)
    assert _compress(DATA, checkpoint=ck) == reference
    ck.remove()
    assert not os.listdir(tmp_path)


@mock.patch.object(frame, "MIN_TEXT_LENGTH", 4096)  # every block (the last is 7 kB) gets a dictionary
# and a falling learning rate, which a resumed run must continue from where it was
@mock.patch.dict(presets.PRESETS, test=dataclasses.replace(presets.PRESETS["test"], lr_end=2e-3))
def test_resumed_compression_with_a_text_dictionary_is_byte_identical(tmp_path):
    reference = _compress(DATA, fallback=False)
    frames = list(container.iter_frames(reference))
    assert all(f.dictionary is not None and f.config.lr_end == 2e-3 for f in frames)
    path = str(tmp_path / "ck")
    with pytest.raises(Crash):
        _compress(DATA, fallback=False, checkpoint=crashing(Checkpoint(path, interval=0), 5))
    assert _compress(DATA, fallback=False, checkpoint=Checkpoint(path, interval=0)) == reference
    assert nncomp.decompress(reference) == DATA


def test_checkpoint_refuses_another_input_or_other_settings(tmp_path):
    path = str(tmp_path / "ck")
    with pytest.raises(Crash):
        _compress(DATA, checkpoint=crashing(Checkpoint(path, interval=0), 3))
    with pytest.raises(CheckpointError, match="input differs"):
        _compress(b"!" + DATA[1:], checkpoint=Checkpoint(path))
    with pytest.raises(CheckpointError, match="other settings.*block_size"):
        api.compress_stream(io.BytesIO(DATA), io.BytesIO(), "test", block_size=BLOCK + 1,
                            checkpoint=Checkpoint(path))
    later = str(tmp_path / "later")  # a checkpoint that covers a finished frame
    with pytest.raises(Crash):
        _compress(DATA, checkpoint=crashing(Checkpoint(later, interval=0), LATER))
    os.truncate(later + ".frames", os.path.getsize(later + ".frames") - 1)
    with pytest.raises(CheckpointError, match="shorter"):
        _compress(DATA, checkpoint=Checkpoint(later))
    with open(path, "r+b") as f:
        f.write(b"garbage!")
    with pytest.raises(CheckpointError, match="unreadable"):
        _compress(DATA, checkpoint=Checkpoint(path))


def test_cli_resumes_after_a_kill(nncomp_cmd, tmp_path, reference):
    """SIGKILL (no cleanup at all, as in a power cut), then the same command again."""
    src = tmp_path / "in"
    src.write_bytes(DATA)
    ck = tmp_path / "ck"
    cmd = [*nncomp_cmd, "-p", "test", "-B", str(BLOCK), "--checkpoint", str(ck),
           "--checkpoint-interval", "0", str(src)]
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    deadline = time.time() + 600  # a hang guard, not a speed check
    while time.time() < deadline and p.poll() is None and not (
            ck.exists() and (tmp_path / "ck.frames").stat().st_size > 0):
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=600)
    for name in os.listdir(tmp_path):  # the temporary output a killed process leaves behind
        if name.endswith(".tmp") and name.startswith(".in.nnc"):
            os.unlink(tmp_path / name)
    subprocess.run(cmd, check=True, timeout=300)
    assert (tmp_path / "in.nnc").read_bytes() == reference
    assert sorted(os.listdir(tmp_path)) == ["in", "in.nnc"]


_MEASURE = """
import atexit, runpy, sys
def report():
    with open("/proc/self/status") as f:
        sys.stderr.write("".join(l for l in f if l.startswith(("VmPeak", "VmHWM"))))
atexit.register(report)
sys.argv = ["nncomp"] + sys.argv[1:]
runpy.run_module("nncomp", run_name="__main__")
"""


def _run_measured(args: list[str], cap_kib: int | None = None) -> dict[str, int]:
    """Run the CLI; its peak address space and resident memory (KiB). With cap_kib, under an
    address-space limit (RLIMIT_AS) of that size: past it, allocations fail."""
    def limit():
        if cap_kib is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap_kib * 1024, cap_kib * 1024))
    p = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True,
                       timeout=300, preexec_fn=limit)
    assert p.returncode == 0, p.stderr[-2000:]
    return {line.split(":")[0]: int(line.split()[1]) for line in p.stderr.splitlines()
            if line.startswith("Vm")}


def test_memory_does_not_grow_with_the_input(tmp_path):
    """Incompressible input streams through in 1 MiB blocks: 64 MiB of it runs under an
    address-space cap of what 4 MiB needed + 32 MiB (holding the input whole could not)."""
    small, big = tmp_path / "small", tmp_path / "big"
    small.write_bytes(os.urandom(4 << 20))
    with open(big, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(1 << 20))
    c = _run_measured(["-B", "1Mi", str(small)])
    d = _run_measured(["-d", "-o", f"{small}.out", f"{small}.nnc"])
    cap = max(c["VmPeak"], d["VmPeak"]) + 32 * 1024
    big_c = _run_measured(["-B", "1Mi", str(big)], cap)
    big_d = _run_measured(["-d", "-o", f"{big}.out", f"{big}.nnc"], cap)
    for src in (small, big):
        assert (tmp_path / f"{src.name}.out").read_bytes() == src.read_bytes()
    assert big_c["VmHWM"] < c["VmHWM"] + 16 * 1024 and big_d["VmHWM"] < d["VmHWM"] + 16 * 1024
