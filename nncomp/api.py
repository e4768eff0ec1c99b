"""One-shot compress/decompress, in the style of the standard lzma and zlib modules."""
from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import container, determinism, engine, presets
from .container import KIND_MODEL, KIND_STORED
from .engine import Progress
from .errors import CorruptDataError, EnvironmentMismatchError, LimitError
from .model import LSTMConfig


@dataclass
class CompressInfo:
    """What a compression did: for -v, bench and tests."""
    n: int
    compressed: int
    stored: bool
    model_bits: float  # the model's cross-entropy, Σ -log2 p; nan when the model did not run
    seconds: float
    config: Optional[LSTMConfig]


def looks_incompressible(data: bytes) -> bool:
    """Already-compressed or random data: skip minutes of model time for a certain loss.

    Order-0 entropy near 8 bits and no gain from zlib on a sample: the LSTM at best learns
    the order-0 statistics on such data, so it cannot beat storing.
    """
    if len(data) < 4096:
        return False
    sample = data[:1 << 16]
    counts = np.bincount(np.frombuffer(sample, np.uint8), minlength=256)
    p = counts[counts > 0] / len(sample)
    h0 = float(-(p * np.log2(p)).sum())
    return h0 > 7.9 and len(zlib.compress(sample, 6)) >= len(sample) * 0.99


def compress_info(data: bytes, preset: str = presets.DEFAULT_PRESET, *,
                  config: Optional[LSTMConfig] = None, threads: Optional[int] = None,
                  device: str = "cpu", verify: bool = False,
                  progress: Optional[Progress] = None) -> tuple[bytes, CompressInfo]:
    data = bytes(data)
    if device != "cpu":
        raise ValueError(f"device {device!r} is not supported yet (only 'cpu')")
    cfg = (config or presets.get(preset)).resolve_streams(len(data))
    threads = threads or determinism.default_threads()
    if not data or looks_incompressible(data):
        blob = container.write_stored(data)
        return blob, CompressInfo(len(data), len(blob), True, math.nan, 0.0, None)
    payload, stats = engine.encode(data, cfg, threads, progress)
    fp = determinism.fingerprint(device, cfg.dtype, threads)
    blob = container.write_model(len(data), container.crc32(data), preset, cfg, fp, payload)
    stored = len(blob) >= len(data) + container.STORED_OVERHEAD
    if stored:
        blob = container.write_stored(data)
    if verify and not stored and decompress(blob) != data:
        raise CorruptDataError("verification failed: the archive does not decode to the input")
    return blob, CompressInfo(len(data), len(blob), stored, stats.bits, stats.seconds, cfg)


def compress(data: bytes, preset: str = presets.DEFAULT_PRESET, *, threads: Optional[int] = None,
             device: str = "cpu", verify: bool = False) -> bytes:
    """Compress bytes into a .nnc archive."""
    return compress_info(data, preset, threads=threads, device=device, verify=verify)[0]


# Decoding time and memory are set by the archive's model: like xz's memory limit, refuse
# models far beyond any preset unless the caller raises the limit.
DEFAULT_MAX_PARAMS = 64_000_000


def decompress(blob: bytes, *, ignore_fingerprint: bool = False,
               max_length: int = container.MAX_LENGTH, max_params: int = DEFAULT_MAX_PARAMS,
               progress: Optional[Progress] = None) -> bytes:
    """Decompress a whole .nnc archive (one or more frames)."""
    out = []
    for frame in container.iter_frames(memoryview(blob), max_length):
        out.append(decode_frame(frame, ignore_fingerprint, progress, max_params))
    return b"".join(out)


def decode_frame(frame: container.Frame, ignore_fingerprint: bool = False,
                 progress: Optional[Progress] = None, max_params: int = DEFAULT_MAX_PARAMS) -> bytes:
    if frame.kind == KIND_STORED:
        return frame.data
    assert frame.kind == KIND_MODEL and frame.config is not None and frame.fingerprint is not None
    if frame.config.n_params() > max_params:
        raise LimitError(f"the archive's model has {frame.config.n_params():,} parameters, over the "
                         f"limit of {max_params:,}")
    if not ignore_fingerprint:
        determinism.check(frame.fingerprint, frame.fingerprint.get("device", "cpu"))
    data, _ = engine.decode(frame.data, frame.length, frame.config, frame.fingerprint["threads"],
                            progress)
    if container.crc32(data) != frame.crc32:
        raise (EnvironmentMismatchError if ignore_fingerprint else CorruptDataError)(
            "decoded data fails its checksum"
            + (" (the fingerprint check was skipped: this machine likely computes different floats)"
               if ignore_fingerprint else ""))
    return data


@dataclass
class FrameInfo:
    kind: str
    length: int
    compressed: int
    preset: str
    config: Optional[dict]
    fingerprint: Optional[dict]


def info(blob: bytes) -> list[FrameInfo]:
    """Describe each frame without decoding it (nncomp -l)."""
    out, pos, mv = [], 0, memoryview(blob)
    if not blob:
        raise CorruptDataError("empty input is not an nncomp archive")
    while pos < len(mv):
        frame, end = container.read_frame(mv, pos)
        stored = frame.kind == KIND_STORED
        out.append(FrameInfo("stored" if stored else "model", frame.length, end - pos, frame.preset,
                             None if stored else dataclasses.asdict(frame.config),
                             frame.fingerprint))
        pos = end
    return out
