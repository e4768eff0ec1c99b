"""What decides the floats, recorded at compression and checked before decompression.

The decoder must compute bit-identical probabilities. These change the bits: the engine and
its arithmetic (ENGINE_VERSION), torch and constriction versions, the device, the kernels'
instruction set (ATen's CPU capability and the ISA flags oneDNN dispatches on), the GPU
model, the dtype and the thread count. The CPU model name and nncomp's own version are
recorded for diagnosis but not required to match.
"""
from __future__ import annotations

import contextlib
import os
import platform
from typing import Iterator

import torch

from . import coder
from ._version import __version__
from .errors import EnvironmentMismatchError

# Bump whenever a change to model, engine or coder changes the coded bits.
ENGINE_VERSION = 2

# Flags that select different oneDNN/ATen kernels on x86.
_ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")
REQUIRED = ("engine", "torch", "constriction", "device", "gpu", "cpu_capability", "isa", "threads")


def _cpu_info() -> tuple[str, str]:
    name, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "model name" and name in ("", platform.machine(), platform.processor()):
                    name = val.strip()
                elif key == "flags":
                    flags = set(val.split())
                    break
    except OSError:
        pass
    isa = ",".join(f for f in _ISA_FLAGS if f in flags) or platform.machine()
    return name, isa


def fingerprint(device: str, dtype: str, threads: int) -> dict:
    cpu, isa = _cpu_info()
    gpu = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else ""
    return {
        "engine": ENGINE_VERSION,
        "nncomp": __version__,
        "torch": torch.__version__,
        "constriction": coder.VERSION,
        "device": device.split(":")[0],
        "gpu": gpu,
        "cpu": cpu,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "isa": isa,
        "dtype": dtype,
        "threads": threads,
    }


def check(recorded: dict, device: str) -> None:
    """Raise EnvironmentMismatchError naming every field this machine cannot reproduce."""
    here = fingerprint(device, recorded.get("dtype", "float32"), recorded.get("threads", 1))
    diffs = [f"{k}: archive {recorded.get(k)!r}, here {here[k]!r}"
             for k in REQUIRED if k != "threads" and recorded.get(k) != here[k]]
    if diffs:
        raise EnvironmentMismatchError(
            "this machine cannot reproduce the encoder's arithmetic ("
            + "; ".join(diffs) + "); use --ignore-fingerprint to try anyway")


def default_threads() -> int:
    """Two threads if the machine has them: measured bit-identical to one, and faster."""
    return max(1, min(2, os.cpu_count() or 1))


@contextlib.contextmanager
def torch_settings(threads: int) -> Iterator[None]:
    """Pin the thread count and deterministic kernels for one run, then restore them."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)
