from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
# ../shared/corpora beside the checkout (CI lays shared/ beside the clone too).
SHARED = Path(os.environ.get("NNCOMP_SHARED_CORPORA", ROOT.parent / "shared" / "corpora"))
# Canterbury's alice29.txt, shipped in the repo so tests of real text run without ../shared.
ALICE = ROOT / "corpora" / "alice29.txt"


def _float_test():
    """The test recipe on the float engine (engine 2: archives written before the exact one),
    whose rules (recorded threads, fingerprint checks, bf16) its own tests exercise."""
    import dataclasses

    from nncomp import presets
    return dataclasses.replace(presets.PRESETS["test"], exact=False, reuse_probs=True)


FLOAT_TEST = _float_test()


def _native_bf16() -> bool:
    from nncomp.engine import determinism
    return determinism.native_bf16("cpu")


# bf16 archives are only written where the CPU has the instructions (determinism.native_bf16).
needs_bf16 = pytest.mark.skipif(not _native_bf16(),
                                reason="this CPU has no bfloat16 instructions (AVX512-BF16 or AMX)")


def _have_cuda() -> bool:
    import torch
    return torch.cuda.is_available()


# GPU tests skip cleanly without one; `pytest -m cuda tests/` selects them all.
HAVE_CUDA = _have_cuda()
needs_cuda = pytest.mark.skipif(not HAVE_CUDA, reason="no CUDA GPU")
CUDA_MARKS = [pytest.mark.cuda, needs_cuda]  # the marks of a GPU case of a parametrized test


TEXT = b"It was the best of times, it was the worst of times, it was the age of wisdom. " * 60
# A record-structured binary (27 kB): ZPAQ's frame is 2.3x smaller than LZMA2's, 3.5x PPMd's,
# and smaller than the test preset's model frame.
RECORDS = b"".join(struct.pack("<IHhB", i * 7, i % 50, (i * i) % 1000 - 500, i % 3)
                   for i in range(3000))


def small_text_archive() -> bytes:
    """A dictionary-coded archive of TEXT: the size thresholds lowered for a small input."""
    import nncomp
    from nncomp import frame
    from nncomp.format import container
    with mock.patch.object(frame, "MIN_TEXT_LENGTH", 0), mock.patch.object(frame, "BYTES_PER_MERGE", 16):
        blob = nncomp.compress(TEXT, "test", fallback=False)
    assert container.read_frame(blob, 0)[0].dictionary is not None
    return blob


def feed_rows(data, B: int, make, progressive: bool, vocab: int = 256):
    """Run a row-fed model (match, context statistics) over data's rows as the engine does:
    make(tok) builds it over the token buffer, then each row is coded and passed to observe.
    progressive=True is the decoder's view: a row appears in the buffer only once decoded."""
    from nncomp.engine import streams
    full = streams.to_streams(data, B, vocab)
    lens = streams.segment_lengths(len(data), B)
    tok = np.zeros_like(full) if progressive else full
    model = make(tok)
    for r in range(1, full.shape[0]):
        k = int((lens >= r).sum())
        tok[r, :k] = full[r, :k]
        model.observe(r, k, tok[r, :k])
    return model


class Crash(Exception):
    pass


def crashing(ck, after: int):
    """The Checkpoint ck, made to die right after its `after`-th save, like a reboot would."""
    save, count = ck._save, [0]

    def wrapped(block):
        save(block)
        count[0] += 1
        if count[0] == after:
            raise Crash(block is not None)
    ck._save = wrapped
    return ck


def shared_file(rel: str) -> Path:
    p = SHARED / rel
    if not p.exists():
        # allow_module_level: a module-level call skips its module instead of failing collection.
        pytest.skip(f"shared corpus file {p} not present", allow_module_level=True)
    return p


NNCOMP = [sys.executable, "-m", "nncomp"]


@pytest.fixture
def nncomp_cmd(tmp_path) -> list[str]:
    """The CLI as a real subprocess, with the tiny test preset so runs take seconds."""
    return list(NNCOMP)


_cli_server: list = []  # the one CliServer of the session, started on first use


def run_cli(args: list[str], input: bytes | None = None, env: dict | None = None,
            cwd=None) -> subprocess.CompletedProcess:
    """`python -m nncomp ARGS` as a process of its own, forked from a server that has imported
    the CLI (tests/cli_server.py): a run without ~2 s of importing torch."""
    from cli_server import CliServer
    if not _cli_server:
        _cli_server.append(CliServer())
    return _cli_server[0].run(args, input=input, env=env, cwd=cwd)


@pytest.fixture(scope="session", autouse=True)
def _stop_cli_server():
    yield
    for server in _cli_server:
        server.close()


@pytest.fixture
def wrapper(tmp_path) -> Path:
    """An executable `nncomp -p test` for tools that take a program name (tar -I)."""
    w = tmp_path / "nncomp-test"
    w.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nncomp -p test "$@"\n')
    w.chmod(0o755)
    return w
