"""The process's allocator: a setting for programs that code and exit (the CLI, benchmark
workers), kept apart from the engine so that the CLI sets it before deciding whether it needs
torch at all."""
from __future__ import annotations

import ctypes
import platform

# glibc's mallopt parameters, and the values keep_freed_memory sets.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TRIM_THRESHOLD = 1 << 30  # free memory at the heap's top is handed back beyond this
_MMAP_THRESHOLD = 32 << 20  # blocks above it get a mapping of their own: above any a run makes


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for reuse instead of handing it back to the system;
    for a process that exits after coding (the CLI, a benchmark worker). Returns whether it took
    effect (False off glibc).

    Every step and training block allocates and frees tensors of 0.1-10 MB. With glibc's
    defaults many of them are mapped on their own or trimmed off the heap, and each reuse
    faults their pages in again, zeroed by the kernel: decompressing the first 3 MB of
    silesia/dickens with fast took 6.7 M page faults, 25 s of system time and 109 s in all;
    with both thresholds raised 0.1 M, 2.5 s and 87 s (compression 105 -> 98 s; AMD EPYC).
    Either threshold alone does not help: setting one also stops glibc's own adjustment of the
    other. A long-lived program may not want this, so the library does not do it by itself.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
                and mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))
