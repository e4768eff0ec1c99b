from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ../shared/corpora beside the checkout (CI lays shared/ beside the clone too).
SHARED = Path(os.environ.get("NNCOMP_SHARED_CORPORA", ROOT.parent / "shared" / "corpora"))


def shared_file(rel: str) -> Path:
    p = SHARED / rel
    if not p.exists():
        pytest.skip(f"shared corpus file {p} not present")
    return p


@pytest.fixture
def nncomp_cmd(tmp_path) -> list[str]:
    """The CLI as a real subprocess, with the tiny test preset so runs take seconds."""
    return [sys.executable, "-m", "nncomp"]


@pytest.fixture
def wrapper(tmp_path) -> Path:
    """An executable `nncomp -p test` for tools that take a program name (tar -I)."""
    w = tmp_path / "nncomp-test"
    w.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nncomp -p test "$@"\n')
    w.chmod(0o755)
    return w
