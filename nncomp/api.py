"""One-shot and streaming functions, in the style of the standard lzma and zlib modules. Each
builds a Compressor or Decompressor (nncomp/compressor.py) from its keywords and calls it:
the keywords are those classes' fields."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, BinaryIO, Optional

from . import presets
from .checkpoint import Checkpoint
from .compressor import (DEFAULT_BLOCK_SIZE, DEFAULT_MAX_PARAMS, CompressInfo, Compressor,
                         Decompressor)
from .format import container
from .frame import FrameInfo

if TYPE_CHECKING:
    from .engine.loop import Progress, SegmentHook


def compress(data: bytes, preset: str = presets.DEFAULT_PRESET, **options: Any) -> bytes:
    """Compress bytes into a .nnc archive of one frame.

    preset: "fast", "default" or "max" (nncomp/presets.py); options: Compressor's fields
    (threads, device, verify, fallback, config). Speed is that of the model: ~10-120 kB/s on a
    CPU by preset; inputs the model cannot win on end as stored or LZMA2 frames. Raises
    ValueError for a wrong option, EnvironmentMismatchError for a device this machine lacks."""
    return Compressor(preset, **options).compress(data)


def compress_info(data: bytes, preset: str = presets.DEFAULT_PRESET, *,
                  progress: Optional[Progress] = None, on_segment: Optional[SegmentHook] = None,
                  resume: Optional[dict] = None, **options: Any) -> tuple[bytes, CompressInfo]:
    """compress(), with what the caller may want to know about the frame (CompressInfo)."""
    return Compressor(preset, **options).compress_frame(data, progress=progress,
                                                        on_segment=on_segment, resume=resume)


def compress_stream(src: BinaryIO, dst: BinaryIO, preset: str = presets.DEFAULT_PRESET, *,
                    progress: Optional[Progress] = None, total: Optional[int] = None,
                    checkpoint: Optional[Checkpoint] = None, **options: Any) -> CompressInfo:
    """Compress src into dst one block (frame, `block_size` bytes) at a time: memory does not
    grow with the input. With a checkpoint, an interrupted run continues where its last save
    left it and writes the same bytes an uninterrupted run would."""
    return Compressor(preset, **options).compress_stream(src, dst, progress=progress, total=total,
                                                         checkpoint=checkpoint)


def decompress(blob: bytes, *, progress: Optional[Progress] = None, **options: Any) -> bytes:
    """Decompress a whole .nnc archive (one or more frames). options: Decompressor's fields
    (ignore_fingerprint, max_length, max_params). Raises CorruptDataError (TruncatedDataError)
    for damage, EnvironmentMismatchError where this machine cannot reproduce the encoder's
    arithmetic, LimitError past a limit."""
    return Decompressor(**options).decompress(blob, progress=progress)


def decompress_stream(src: BinaryIO, dst: Optional[BinaryIO], *, progress: Optional[Progress] = None,
                      **options: Any) -> int:
    """Decompress src into dst (None: only check) frame by frame; returns the output size."""
    return Decompressor(**options).decompress_stream(src, dst, progress=progress)


def info(blob: bytes) -> list[FrameInfo]:
    """Describe each frame without decoding it (nncomp -l)."""
    return info_stream(io.BytesIO(blob))


def info_stream(src: BinaryIO) -> list[FrameInfo]:
    """info() of an archive read from a stream, one frame in memory at a time."""
    return [FrameInfo.of(f) for f in container.read_frames(src)]


__all__ = ["compress", "compress_info", "compress_stream", "decompress", "decompress_stream",
           "info", "info_stream", "CompressInfo", "FrameInfo", "DEFAULT_BLOCK_SIZE",
           "DEFAULT_MAX_PARAMS"]
