"""Sizes as people write them, one grammar for every option that takes one (-B, --corpus
NAME:SIZE): 65536, 64k, 32M, 1G (powers of 10, as MB is in the benchmark) or 64Ki, 32Mi, 1Gi
(powers of 2), case-insensitive, an optional trailing B."""
from __future__ import annotations

UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def parse_size(text: str) -> int:
    """The positive byte count text names; ValueError otherwise."""
    s = str(text).strip().lower().removesuffix("b")
    num = s.rstrip("kmgi")
    unit = s[len(num):]
    if not num.isdigit() or unit not in UNITS or int(num) * UNITS[unit] < 1:
        raise ValueError(f"{text!r} is not a size such as 65536, 64k or 32Mi")
    return int(num) * UNITS[unit]
