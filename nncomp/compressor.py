"""The options of a compression or a decompression, held once, as python-zstandard's
ZstdCompressor and ZstdDecompressor hold theirs: the CLI, the one-shot functions, NNCompFile
and the benchmark all build one of these and call it.

    c = nncomp.Compressor("max", threads=2, verify=True)
    blob = c.compress(data)                       # one frame
    c.compress_stream(src, dst)                   # frames of block_size, bounded memory
    nncomp.Decompressor(max_params=10**7).decompress(blob)
"""
from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Iterator, Optional

from . import frame, limits, presets, workers
from .checkpoint import Checkpoint, CheckpointError
from .config import ModelConfig
from .engine import determinism
from .errors import CorruptDataError
from .format import container
from .frame import DEFAULT_MAX_PARAMS, CompressInfo, FrameInfo
from .system.fileio import write_all
from .system.machine import available_cores

if TYPE_CHECKING:
    from .engine.loop import Progress, SegmentHook

# Input is coded in independent frames of at most this many bytes, so memory stays bounded
# whatever the input size; each frame's model starts afresh (a small ratio cost per block).
DEFAULT_BLOCK_SIZE = 32 << 20


@dataclass(frozen=True)
class Compressor:
    """How to compress: preset (or a recipe `config` of its own), block size, torch threads
    (None: determinism.default_threads()), device ('cpu', 'cuda', 'cuda:N'), verify (decode
    before returning), fallback (keep a stored or LZMA2 frame where it is smaller), workers
    (processes coding blocks at once in compress_stream; 0: every available core; the archive is
    the same bytes whatever their number). Checked when built: a wrong preset, device or block
    size fails here, not at the first block."""
    preset: str = presets.DEFAULT_PRESET
    block_size: int = DEFAULT_BLOCK_SIZE
    threads: Optional[int] = None
    device: str = "cpu"
    verify: bool = False
    fallback: bool = True
    config: Optional[ModelConfig] = None
    workers: int = 1

    @property
    def nthreads(self) -> int:
        """threads, resolved (the default is filled in when the object is built)."""
        return self.threads or determinism.default_threads(self.recipe.exact)

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise ValueError("block_size must be positive")
        object.__setattr__(self, "device", determinism.check_device(self.device))
        presets.get(self.preset, self.device)
        object.__setattr__(self, "threads",
                           self.threads or determinism.default_threads(self.recipe.exact))
        if self.workers < 0:
            raise ValueError("workers must be 0 (every core) or more")
        object.__setattr__(self, "workers", self.workers or available_cores())

    @property
    def recipe(self) -> ModelConfig:
        """The recipe each frame's config is resolved from (presets.resolve)."""
        return self.config or presets.get(self.preset, self.device)

    def compress(self, data: bytes) -> bytes:
        """data as one frame (whatever block_size)."""
        return self.compress_frame(data)[0]

    def compress_frame(self, data: bytes, *, progress: Optional[Progress] = None,
                       on_segment: Optional[SegmentHook] = None,
                       resume: Optional[dict] = None) -> tuple[bytes, CompressInfo]:
        """One frame of data, with what the caller may want to know about it."""
        data = bytes(data)
        blob, ci = frame.encode(data, self.recipe, self.preset, threads=self.nthreads,
                                device=self.device, fallback=self.fallback, progress=progress,
                                on_segment=on_segment, resume=resume,
                                model_from=0 if self.config else presets.MODEL_FROM.get(self.preset, 0))
        if self.verify and ci.kind != "stored" and Decompressor().decompress(blob) != data:
            raise CorruptDataError("verification failed: the archive does not decode to the input")
        return blob, ci

    def compress_stream(self, src: BinaryIO, dst: BinaryIO, *, progress: Optional[Progress] = None,
                        total: Optional[int] = None,
                        checkpoint: Optional[Checkpoint] = None) -> CompressInfo:
        """src into dst one block (frame) at a time; memory does not grow with the input.

        With a checkpoint, a run that was interrupted continues where its last save left it and
        writes the same bytes an uninterrupted run would."""
        writer = FrameWriter(self, dst)
        if self.workers > 1 and checkpoint is None:
            blocks = _blocks(src, self.block_size, empty=True)
            for block_len, (blob, ci) in workers.ordered_map(
                    _compress_block, ((self, b) for b in blocks), self.workers):
                writer.add(block_len, blob, ci)
                if progress is not None:
                    progress(writer.n, total if total is not None else writer.n, writer.bits)
            return writer.info()
        resume = None
        if checkpoint is not None:
            resume = checkpoint.resume(self._checkpoint_settings(), src, dst)
            writer.n, writer.written = checkpoint.input_done, checkpoint.frames_len
        # A resumed run whose frames cover the input writes no empty frame after them.
        for block in _blocks(src, self.block_size, empty=writer.n == 0):
            snap = None
            if resume is not None:
                if (len(block), zlib.crc32(block)) != (resume["block_len"], resume["block_crc"]):
                    raise CheckpointError("the input differs from the one the checkpoint was made from")
                snap, resume = resume["engine"], None
            blob = writer.frame(block, progress=_offset(progress, writer.n, total),
                                on_segment=checkpoint.segment_hook(block) if checkpoint else None,
                                resume=snap)
            if checkpoint is not None:
                checkpoint.frame_done(block, blob)
        return writer.info()

    def compressobj(self) -> "CompressionObj":
        """An incremental compressor, as zlib.compressobj / lzma.LZMACompressor: compress()
        returns the frames of the blocks it completed, flush() the rest."""
        return CompressionObj(self)

    def _checkpoint_settings(self) -> dict:
        """What decides the output bytes: a checkpoint made with other settings is refused."""
        cfg = self.recipe
        settings = {"preset": self.preset, "config": cfg.to_dict(), "block_size": self.block_size,
                    "fallback": self.fallback}
        if cfg.exact:  # the same bits on any machine: a run may resume anywhere
            return {**settings, "engine": determinism.EXACT_ENGINE}
        return {**settings, "threads": self.nthreads,
                "fingerprint": determinism.fingerprint(self.device, cfg.dtype, self.nthreads)}


class FrameWriter:
    """Frames written to dst one block at a time, and what they add up to (compress_stream and
    NNCompFile's writer)."""

    def __init__(self, compressor: Compressor, dst: BinaryIO):
        self.compressor, self.dst = compressor, dst
        self.n = self.written = self.frames = 0
        self.bits, self.seconds = 0.0, 0.0
        self.kinds: set[str] = set()

    def frame(self, block: bytes, **engine) -> bytes:
        """Compress block into one frame and write it; engine: compress_frame's keywords."""
        blob, ci = self.compressor.compress_frame(block, **engine)
        self.add(len(block), blob, ci)
        return blob

    def add(self, block_len: int, blob: bytes, ci: CompressInfo) -> None:
        """Write a block's frame, compressed here or by a worker, and count it."""
        write_all(self.dst, blob)
        self.n, self.written, self.frames = self.n + block_len, self.written + len(blob), self.frames + 1
        self.kinds.add(ci.kind)
        self.seconds += ci.seconds
        self.bits += 0.0 if math.isnan(ci.model_bits) else ci.model_bits

    def info(self) -> CompressInfo:
        kind = ",".join(sorted(self.kinds))
        return CompressInfo(self.n, self.written, kind, math.nan if kind == "stored" else self.bits,
                            self.seconds, None)


class CompressionObj:
    """Data in, frames out: each full block of the Compressor's block_size becomes a frame as
    soon as it is complete, so the output equals compress_stream()'s for the same bytes. The
    frames are returned, or written to `dst` as they complete (NNCompFile's writer)."""

    def __init__(self, compressor: Compressor, dst: Optional[BinaryIO] = None):
        self._out = io.BytesIO()
        self._writer = FrameWriter(compressor, self._out if dst is None else dst)
        self._buf = bytearray()
        self._done = False

    def compress(self, data: bytes | bytearray | memoryview) -> bytes:
        if self._done:
            raise ValueError("compress() after flush()")
        self._buf += data
        size = self._writer.compressor.block_size
        while len(self._buf) >= size:
            self._writer.frame(bytes(self._buf[:size]))
            del self._buf[:size]
        return self._take()

    def flush(self) -> bytes:
        """The last (partial) block's frame; an empty input still gets one (an empty file is no
        archive). No more data may follow."""
        if not self._done and (self._buf or not self._writer.frames):
            self._writer.frame(bytes(self._buf))
        self._buf, self._done = bytearray(), True
        return self._take()

    def _take(self) -> bytes:
        out = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return out


def _blocks(src: BinaryIO, size: int, empty: bool) -> Iterator[bytes]:
    """src in blocks of size bytes (the last shorter); with `empty`, an empty input is one
    empty block (an empty file is no archive: it still gets a frame)."""
    while True:
        block = container.read_upto(src, size)
        if block or empty:
            yield block
        if len(block) < size:
            return
        empty = False


def _compress_block(job: tuple[Compressor, bytes]) -> tuple[int, tuple[bytes, CompressInfo]]:
    """A worker's task: one block's frame (module level, so that it pickles)."""
    compressor, block = job
    return len(block), compressor.compress_frame(block)


def _decode(job: tuple[Decompressor, container.Frame]) -> bytes:
    decompressor, f = job
    return decompressor.decode_frame(f)


def _offset(progress: Optional[Progress], done: int, total: Optional[int]) -> Optional[Progress]:
    """A frame's progress callback reporting on the whole stream."""
    if progress is None:
        return None
    return lambda d, n, bits: progress(done + d, total if total is not None else done + n, bits)


@dataclass(frozen=True)
class Decompressor:
    """How to decompress: ignore_fingerprint (decode even where this machine differs from the
    encoder's; the checksum still decides), max_length (bytes a frame may claim: --max-size),
    max_params (the largest model to run), memlimit (bytes a model frame may need; None:
    limits.default_memlimit(), i.e. NNCOMP_MEMLIMIT or a quarter of physical memory) and
    max_work (FLOP per coded symbol). A frame past a limit raises LimitError before anything is
    allocated for it (nncomp/limits.py)."""
    ignore_fingerprint: bool = False
    max_length: int = container.MAX_LENGTH
    max_params: int = DEFAULT_MAX_PARAMS
    memlimit: Optional[int] = None
    max_work: float = limits.DEFAULT_MAX_WORK
    workers: int = 1  # processes decoding frames at once in decompress_stream; 0: every core
    device: Optional[str] = None  # where exact frames decode (None: the CPU)
    threads: Optional[int] = None  # torch threads for exact frames (None: default_threads())

    def __post_init__(self) -> None:
        if self.max_length < 0 or self.max_params < 0 or (self.memlimit or 0) < 0 or self.max_work <= 0:
            raise ValueError("limits must be positive")
        if self.workers < 0:
            raise ValueError("workers must be 0 (every core) or more")
        object.__setattr__(self, "workers", self.workers or available_cores())

    def decompress(self, blob: bytes, *, progress: Optional[Progress] = None) -> bytes:
        """A whole archive (one or more frames). Every frame is parsed and checksummed before a
        model runs: damage anywhere is reported at once, not after minutes of decoding."""
        frames = list(container.iter_frames(memoryview(blob), self.max_length))
        return b"".join(self.decode_frame(f, progress=progress) for f in frames)

    def decompress_stream(self, src: BinaryIO, dst: Optional[BinaryIO], *,
                          progress: Optional[Progress] = None) -> int:
        """src into dst (None: only check) frame by frame; returns the output size."""
        n = 0
        if self.workers > 1:  # whole frames to the workers: at most 2 × workers in memory
            frames = container.read_frames(src, self.max_length)
            for data in workers.ordered_map(_decode, ((self, f) for f in frames), self.workers):
                if dst is not None:
                    write_all(dst, data)
                n += len(data)
                if progress is not None:
                    progress(n, n, 0.0)
            return n
        for f in container.read_frames(src, self.max_length, stream_stored=True):
            parts = f.chunks if f.chunks is not None else [
                self.decode_frame(f, progress=_offset(progress, n, None))]
            for data in parts:
                if dst is not None:
                    write_all(dst, data)
                n += len(data)
        return n

    def frames(self, src: BinaryIO) -> Iterator[container.Frame]:
        """The parsed frames of an archive read from src, one in memory at a time."""
        return container.read_frames(src, self.max_length)

    def decompressobj(self) -> "DecompressionObj":
        """An incremental decompressor, as lzma.LZMADecompressor: decompress(data, max_length)."""
        return DecompressionObj(self)

    def decode_frame(self, f: container.Frame, *, progress: Optional[Progress] = None) -> bytes:
        return frame.decode(f, self.ignore_fingerprint, progress, self.max_params, self.memlimit,
                            self.max_work, self.device, self.threads)


class DecompressionObj:
    """Archive bytes in, data out, as lzma.LZMADecompressor: a frame is decoded once all its
    bytes have arrived. `eof` is true when the input so far ends where a frame ends (an archive
    may end there; more frames may follow, as with concatenated gzip members); `needs_input` is
    false while decoded data is waiting beyond a max_length; `unused_data` is always b"" (bytes
    after a frame are the next frame's, or an error)."""

    def __init__(self, decompressor: Decompressor):
        self._d = decompressor
        self._in = bytearray()
        self._out = bytearray()
        self._frames = 0
        self.unused_data = b""

    @property
    def eof(self) -> bool:
        return self._frames > 0 and not self._in and not self._out

    @property
    def needs_input(self) -> bool:
        return not self._out

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        self._in += data
        while True:
            try:
                f, end = container.read_frame(memoryview(self._in), 0, self._d.max_length)
            except container.TruncatedDataError:
                break  # the frame's bytes have not all arrived yet
            del self._in[:end]
            self._out += self._d.decode_frame(f)
            self._frames += 1
        n = len(self._out) if max_length is None or max_length < 0 else max_length
        out = bytes(self._out[:n])
        del self._out[:n]
        return out


__all__ = ["Compressor", "Decompressor", "FrameWriter", "CompressionObj", "DecompressionObj",
           "FrameInfo", "CompressInfo",
           "DEFAULT_BLOCK_SIZE", "DEFAULT_MAX_PARAMS"]
