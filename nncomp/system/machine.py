"""This machine: the CPU's name and instruction-set flags, and torch imported on demand.

torch takes ~2 s to import, so nothing imports it at module level: listing an archive, a usage
error or a conventional codec in the benchmark never pays for it.
"""
from __future__ import annotations

import os
import platform
import sys

from .fileio import signals_held

# Flags that select different oneDNN/ATen kernels on x86.
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")


def available_cores() -> int:
    """The cores this process may run on (its affinity), not all the machine has."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def runnable_others() -> int:
    """Tasks other than this one running or ready to run right now (/proc/loadavg's fourth
    field, less this process); 0 where the kernel does not say."""
    try:
        with open("/proc/loadavg") as f:
            return max(0, int(f.read().split()[3].split("/")[0]) - 1)
    except (OSError, IndexError, ValueError):
        return 0


def cpu_info() -> tuple[str, str]:
    """(model name, the ISA_FLAGS this CPU has, comma-separated)."""
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
    isa = ",".join(f for f in ISA_FLAGS if f in flags) or platform.machine()
    return name, isa


def load_torch():
    """torch, imported with SIGINT and SIGTERM held (fileio.signals_held: an interrupt inside
    its import aborts the process)."""
    if "torch" not in sys.modules:
        with signals_held():
            import torch  # noqa: F401
    return sys.modules["torch"]
