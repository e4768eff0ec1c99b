"""What the row-fed models share: numba's njit (plain Python where numba is missing), the hash
of a stream's last symbols, and their state as arrays for checkpoints.

A cached numba function keeps the value a global had when it was compiled, and its cache is
invalidated only by a change to its own file: a change here needs the callers' caches cleared
(`__pycache__/*.nbi`, `*.nbc`).
"""
from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # numba is optional: the same code runs (slower) as plain Python
    def njit(*args, **kwargs):  # type: ignore[no-redef]
        return args[0] if args and callable(args[0]) else (lambda f: f)

HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True)
def hash_context(tok, r, i, length, seed):
    """A 64-bit hash of symbols tok[r - length + 1 .. r, i], started from seed."""
    h = np.uint64(seed)
    for d in range(length):
        h = (h ^ np.uint64(tok[r - d, i])) * HASH_MUL
    return h


class RowModel:
    """A model fed row by row whose whole state is the numpy arrays named in STATE."""

    STATE: tuple[str, ...] = ()

    def state(self) -> dict[str, np.ndarray]:
        """The state arrays, copied (for a checkpoint)."""
        return {k: getattr(self, k).copy() for k in self.STATE}

    def load_state(self, saved: dict) -> None:
        """Restore what state() returned (arrays or tensors of the same shapes)."""
        for k in self.STATE:
            getattr(self, k)[...] = np.asarray(saved[k])
