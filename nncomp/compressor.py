"""The options of a compression or a decompression, held once, as python-zstandard's
ZstdCompressor and ZstdDecompressor hold theirs: the CLI, the one-shot functions, NNCompFile
and the benchmark all build one of these and call it.

    c = nncomp.Compressor("max", threads=2, verify=True)
    blob = c.compress(data)                       # one frame
    c.compress_stream(src, dst)                   # frames of block_size, bounded memory
    nncomp.Decompressor(max_params=10**7).decompress(blob)
"""
from __future__ import annotations

import dataclasses
import io
import itertools
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator, Optional

from . import frame, limits, presets
from .cluster import RayPool
from .workers import DRAIN, Pool, Tally, report, split
from .checkpoint import Checkpoint, CheckpointError
from .config import BOUNDS, ModelConfig
from .engine import determinism
from .errors import CorruptDataError
from .format import container
from .frame import DEFAULT_MAX_PARAMS, CompressInfo, FrameInfo, WarmStart
from .system.fileio import write_all
from .system.machine import available_cores

if TYPE_CHECKING:
    from .engine.loop import Progress, SegmentHook

# Input is coded in independent frames of at most this many bytes, so memory stays bounded
# whatever the input size; each frame's model starts afresh (a small ratio cost per block).
DEFAULT_BLOCK_SIZE = 32 << 20


@dataclass(frozen=True)
class Compressor:
    """How to compress: preset (or a recipe `config` of its own), block size, threads, device
    ('cpu', 'cuda', 'cuda:N'), verify (decode before returning), fallback (keep a stored or
    LZMA2 frame where it is smaller), workers and cluster. Checked when built: a wrong preset,
    device or block size fails here, not at the first block.

    threads are the cores to use, as zstd's -T (0: every available core): compress_stream
    splits them between worker processes, one per block that can run at once, and torch threads
    inside each (workers.split); `workers` fixes the number of processes instead. With neither,
    one process runs determinism.default_threads() torch threads. `cluster` sends every block to a Ray cluster as a
    task of one CPU (and one GPU for a CUDA device) instead (nncomp/cluster.py: "auto",
    "HOST:PORT", "ray://HOST:PORT" or "local"). The archive is the same bytes whatever the
    processes, threads or machines.

    warm W > 0 links frames into W warm chains: frame k starts from the network, the context
    statistics and the text dictionary frame k − W ended with, so only the first W frames learn
    from nothing; at most W frames then run at once, compressing or decompressing, and an
    archive decodes only from its start. 0: every frame starts cold and decodes alone."""
    preset: str = presets.DEFAULT_PRESET
    block_size: int = DEFAULT_BLOCK_SIZE
    threads: Optional[int] = None
    device: str = "cpu"
    verify: bool = False
    fallback: bool = True
    config: Optional[ModelConfig] = None
    workers: Optional[int] = None
    cluster: Optional[str] = None
    warm: int = 0

    @property
    def nthreads(self) -> int:
        """threads, resolved (the default is filled in when the object is built)."""
        return self.threads or determinism.default_threads(self.recipe.exact)

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise ValueError("block_size must be positive")
        # A cluster's nodes have the device, not necessarily this machine.
        check = determinism.device_syntax if self.cluster else determinism.check_device
        object.__setattr__(self, "device", check(self.device))
        presets.get(self.preset, self.device)
        if not 0 <= self.warm <= BOUNDS["warm"][1]:
            raise ValueError(f"warm must be 0 … {BOUNDS['warm'][1]}")
        if self.warm and not self.recipe.exact:
            raise ValueError("warm chains need the exact engine")
        object.__setattr__(self, "workers", _workers(self.workers, self.threads))
        object.__setattr__(self, "threads", _cores(self.threads, self.recipe.exact))

    @property
    def recipe(self) -> ModelConfig:
        """The recipe each frame's config is resolved from (presets.resolve)."""
        cfg = self.config or presets.get(self.preset, self.device)
        if not self.warm:
            return cfg
        return dataclasses.replace(cfg, warm=self.warm, warm_context=cfg.context > 0)

    def compress(self, data: bytes) -> bytes:
        """data as one frame (whatever block_size)."""
        return self.compress_frame(data)[0]

    def compress_frame(self, data: bytes, *, progress: Optional[Progress] = None,
                       on_segment: Optional[SegmentHook] = None, resume: Optional[dict] = None,
                       warm: Optional[WarmStart] = None) -> tuple[bytes, CompressInfo]:
        """One frame of data, with what the caller may want to know about it; every core of
        `threads` runs as a torch thread. warm: in a warm chain, the frame it may start from."""
        data = bytes(data)
        blob, ci = frame.encode(data, self.recipe, self.preset, threads=self.nthreads,
                                device=self.device, fallback=self.fallback, progress=progress,
                                on_segment=on_segment, resume=resume, warm=warm,
                                model_from=0 if self.config else presets.MODEL_FROM.get(self.preset, 0))
        if self.verify and ci.kind != "stored":
            f = next(container.iter_frames(blob))
            if frame.decode(f, warm=warm)[0] != data:
                raise CorruptDataError("verification failed: the archive does not decode to "
                                       "the input")
        return blob, ci

    def compress_stream(self, src: BinaryIO, dst: BinaryIO, *, progress: Optional[Progress] = None,
                        total: Optional[int] = None,
                        checkpoint: Optional[Checkpoint] = None) -> CompressInfo:
        """src into dst one block (frame) at a time; memory does not grow with the input.
        Blocks are coded by several processes (or a cluster) where there are blocks and cores
        for them; a checkpointed run codes them one after the other.

        With a checkpoint, a run that was interrupted continues where its last save left it and
        writes the same bytes an uninterrupted run would."""
        writer = FrameWriter(self, dst)
        if checkpoint is not None and self.warm:
            raise ValueError("a checkpoint does not keep warm chains: compress with warm=0")
        if checkpoint is None:
            blocks = _blocks(src, self.block_size, empty=True)
            head = list(itertools.islice(blocks, self.nthreads + 1))  # a small input, or not
            blocks = itertools.chain(head, blocks)
            if (pool := self._pool(len(head))) is not None:
                return self._compress_parallel(pool, blocks, writer, progress, total)
            for block in blocks:
                writer.frame(block, progress=_offset(progress, writer.n, total))
            return writer.info()
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
                                on_segment=checkpoint.segment_hook(block), resume=snap)
            checkpoint.frame_done(block, blob)
        return writer.info()

    def plan(self, blocks: int) -> tuple[int, int]:
        """(processes, torch threads each) for an input of `blocks` blocks (workers.split). A
        float-engine recipe keeps its thread count in every process: the count decides its bits."""
        if not self.recipe.exact:
            return self.workers or 1, self.nthreads
        return split(self.nthreads, blocks, self.workers)

    def _pool(self, blocks: int) -> Optional[tuple[Pool | RayPool, _Remote]]:
        """Where blocks go when not all are coded here, one after the other, and the options
        each is coded with there; None: here."""
        if self.cluster:
            threads = 1 if self.recipe.exact else self.nthreads
            gpus = 1 if self.device.startswith("cuda") else 0  # Ray picks the GPU: "cuda" there
            return (RayPool(self.cluster, threads, gpus),
                    _Remote(self, threads, "cuda" if gpus else self.device))
        # A warm chain's frames run one after the other: at most W at once.
        procs, threads = self.plan(min(blocks, self.warm or blocks))
        if procs < 2:
            return None
        return Pool(procs), _Remote(self, threads, self.device)

    def _compress_parallel(self, pool, blocks: Iterator[bytes], writer: "FrameWriter",
                           progress: Optional[Progress], total: Optional[int]) -> CompressInfo:
        (runner, remote), tally = pool, Tally()

        def show(key: int = -1, done: int = 0, bits: float = 0.0) -> None:
            if key >= 0:
                tally.update(key, done, bits)
            if progress is not None:
                n, b = tally.now()
                progress(n, total if total is not None else n, b)

        with runner:
            # With warm chains at most W frames are out: frame k's job is made once frame
            # k - W's result is in (workers.ordered).
            jobs = ((remote, i, b, writer.chain.before(i)) for i, b in enumerate(blocks))
            for i, ((block_len, blob, ci), link) in enumerate(runner.map(
                    _compress_block, jobs, in_flight=self.warm, on_report=show)):
                writer.add(block_len, blob, ci, link)
                tally.finish(i, block_len, 0.0 if math.isnan(ci.model_bits) else ci.model_bits)
                show()
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


class Chain:
    """What the frames of W warm chains may start from, by their index in the archive: frame k
    starts from frame k - W's link (nncomp/frame.py: WarmStart; on a Ray cluster, a reference
    to it in the object store). Only the links a later frame may need are kept: the last W."""

    def __init__(self, w: int = 0) -> None:
        self.w = w
        self.links: dict[int, Any] = {}

    def before(self, k: int, w: Optional[int] = None) -> Any:
        """What frame k of chains of w (default W) may start from: frame k - w's link, or None
        (it starts cold)."""
        w = self.w if w is None else w
        return self.links.get(k - w) if w else None

    def join(self, w: int) -> None:
        """Frames of chains of w follow (an archive of another W may follow, as with cat)."""
        self.w = max(self.w, w)

    def add(self, k: int, link: Any) -> None:
        """Frame k is done: how it ended (None: not a model frame of a chain)."""
        if link is not None:
            self.links[k] = link
        for old in [i for i in self.links if i <= k - self.w]:
            del self.links[old]


class FrameWriter:
    """Frames written to dst one block at a time, and what they add up to (compress_stream and
    NNCompFile's writer)."""

    def __init__(self, compressor: Compressor, dst: BinaryIO):
        self.compressor, self.dst = compressor, dst
        self.chain = Chain(compressor.warm)
        self.n = self.written = self.frames = 0
        self.bits, self.seconds = 0.0, 0.0
        self.kinds: set[str] = set()

    def frame(self, block: bytes, **engine) -> bytes:
        """Compress block into one frame and write it; engine: compress_frame's keywords."""
        blob, ci = self.compressor.compress_frame(block, warm=self.chain.before(self.frames),
                                                  **engine)
        self.add(len(block), blob, ci)
        return blob

    def add(self, block_len: int, blob: bytes, ci: CompressInfo, link: Any = None) -> None:
        """Write a block's frame, compressed here or by a worker, and count it. link: where its
        warm chain goes on, where not ci.warm (a worker's frame)."""
        write_all(self.dst, blob)
        self.chain.add(self.frames, ci.warm if link is None else link)
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


def _cores(threads: Optional[int], exact: bool) -> int:
    """threads as given: 0 for every available core, None for the default."""
    if threads is not None and threads < 0:
        raise ValueError("threads must be 0 (every core) or more")
    return available_cores() if threads == 0 else threads or determinism.default_threads(exact)


def _workers(n: Optional[int], threads: Optional[int]) -> Optional[int]:
    """workers as given: 0 for every available core, None to follow threads where they were
    given, else 1 (processes are started only when asked for: a script that starts them needs
    multiprocessing's `if __name__ == "__main__":` guard)."""
    if n is not None and n < 0:
        raise ValueError("workers must be 0 (every core) or more")
    if n is None and threads is None:
        return 1
    return available_cores() if n == 0 else n


@dataclass(frozen=True)
class _Remote:
    """A Compressor or Decompressor as a worker runs it: its options, with the threads and
    device of the process the task lands in (built there: the device is that machine's)."""
    options: Any
    threads: int
    device: Optional[str]

    def here(self) -> Any:
        return dataclasses.replace(self.options, threads=self.threads, device=self.device,
                                   workers=1, cluster=None)


def _compress_block(job: tuple[_Remote, int, bytes, Optional[WarmStart]]
                    ) -> tuple[tuple[int, bytes, CompressInfo], Optional[WarmStart]]:
    """A worker's task (module level, so that it pickles): one block's frame, and apart (a Ray
    task leaves it in the object store) where its warm chain goes on."""
    remote, key, block, warm = job
    blob, ci = remote.here().compress_frame(
        block, progress=lambda done, n, bits: report(key, done, bits), warm=warm)
    return (len(block), blob, dataclasses.replace(ci, warm=None)), ci.warm


def _decode(job: tuple[_Remote, int, container.Frame, Optional[WarmStart]]
            ) -> tuple[bytes, Optional[WarmStart]]:
    """A worker's task: one frame's bytes, and where its warm chain goes on from."""
    remote, key, f, warm = job
    return remote.here().decode_linked(
        f, warm, progress=lambda done, n, bits: report(key, done, bits))


def _warm(frames: list[container.Frame]) -> int:
    """W of the warm chains among frames (0: none)."""
    return max((f.warm for f in frames), default=0)


def _write(dst: Optional[BinaryIO], data: bytes) -> None:
    if dst is not None:  # None: only check
        write_all(dst, data)


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
    max_work (FLOP per coded symbol; it scales the CPU time a ZPAQ frame's decoder may take
    too). A frame past a limit raises LimitError before anything is allocated for it
    (nncomp/limits.py).

    device, threads, workers and cluster say where exact frames decode, as Compressor's say
    where blocks are coded: the same bytes come back wherever that is (None device: the CPU).
    A float-engine frame (nncomp 0.1) decodes with the device and thread count it records."""
    ignore_fingerprint: bool = False
    max_length: int = container.MAX_LENGTH
    max_params: int = DEFAULT_MAX_PARAMS
    memlimit: Optional[int] = None
    max_work: float = limits.DEFAULT_MAX_WORK
    workers: Optional[int] = None
    device: Optional[str] = None
    threads: Optional[int] = None
    cluster: Optional[str] = None

    def __post_init__(self) -> None:
        if self.max_length < 0 or self.max_params < 0 or (self.memlimit or 0) < 0 or self.max_work <= 0:
            raise ValueError("limits must be positive")
        if self.device is not None:
            check = determinism.device_syntax if self.cluster else determinism.check_device
            object.__setattr__(self, "device", check(self.device))
        object.__setattr__(self, "workers", _workers(self.workers, self.threads))
        object.__setattr__(self, "threads", _cores(self.threads, True))

    @property
    def nthreads(self) -> int:
        return self.threads or determinism.default_threads()

    def decompress(self, blob: bytes, *, progress: Optional[Progress] = None) -> bytes:
        """A whole archive (one or more frames). Every frame is parsed and checksummed before a
        model runs: damage anywhere is reported at once, not after minutes of decoding."""
        frames = list(container.iter_frames(memoryview(blob), self.max_length))
        if (pool := self._pool(frames)) is not None:
            out = io.BytesIO()
            self._decompress_parallel(pool, iter(frames), out, progress, _warm(frames))
            return out.getvalue()
        reader = self.reader()
        return b"".join(reader.decode(f, progress=progress) for f in frames)

    def decompress_stream(self, src: BinaryIO, dst: Optional[BinaryIO], *,
                          progress: Optional[Progress] = None) -> int:
        """src into dst (None: only check) frame by frame; returns the output size. Model frames
        are decoded by several processes (or a cluster) where there are frames and cores for
        them; large stored frames stream through in chunks."""
        frames = container.read_frames(src, self.max_length, stream_stored=True)
        head: list[container.Frame] = []
        for f in frames:  # a look ahead: one frame more than the cores, or to a streamed one
            head.append(f)
            if f.chunks is not None or len(head) > self.nthreads:
                break
        frames = itertools.chain(head, frames)
        if (pool := self._pool(head)) is not None:
            return self._decompress_parallel(pool, frames, dst, progress, _warm(head))
        n, reader = 0, self.reader()
        for f in frames:
            parts = f.chunks if f.chunks is not None else [
                reader.decode(f, progress=_offset(progress, n, None))]
            if f.chunks is not None:
                reader.skip(f)
            for data in parts:
                _write(dst, data)
                n += len(data)
        return n

    def _pool(self, head: list[container.Frame]) -> Optional[tuple[Pool | RayPool, _Remote]]:
        """Where frames decode when not all here, one after the other (Compressor._pool), for
        an archive that starts with the frames `head`."""
        if self.cluster:
            gpus = 1 if (self.device or "cpu").startswith("cuda") else 0
            return (RayPool(self.cluster, 1, gpus),
                    _Remote(self, 1, "cuda" if gpus else self.device))
        models = sum(f.config is not None for f in head)
        # A warm chain's frames run one after the other: at most W at once.
        procs, threads = split(self.nthreads, min(models, _warm(head) or models), self.workers)
        if procs < 2:
            return None
        return Pool(procs), _Remote(self, threads, self.device)

    def _decompress_parallel(self, pool, frames: Iterator[container.Frame],
                             dst: Optional[BinaryIO], progress: Optional[Progress],
                             warm: int) -> int:
        """Frames decoded where pool says, written in order; a stored frame that streams in
        chunks is written here once the frames before it are (it must be read before the next)."""
        (runner, remote), tally, keys = pool, Tally(), itertools.count()
        streamed: list[container.Frame] = []
        chain, taken = Chain(warm), [0]  # the frames whose result is in

        def show(key: int = -1, done: int = 0, bits: float = 0.0) -> None:
            if key >= 0:
                tally.update(key, done, bits)
            if progress is not None:
                n = tally.now()[0]
                progress(n, n, 0.0)

        def upto_streamed() -> Iterator[Any]:
            for f in frames:
                k = next(keys)
                if f.chunks is not None:
                    streamed.append(f)
                    return
                if f.warm_from is not None and k - f.warm >= taken[0]:
                    yield DRAIN  # the frame it starts from is still being decoded
                chain.join(f.warm)
                yield remote, k, f, chain.before(k, f.warm)

        with runner:
            while True:
                for data, link in runner.map(_decode, upto_streamed(), in_flight=warm,
                                             on_report=show):
                    _write(dst, data)
                    chain.add(taken[0], link)
                    tally.finish(taken[0], len(data), 0.0)
                    taken[0] += 1
                    show()
                if not streamed:
                    return tally.done
                for data in streamed.pop().chunks or ():
                    _write(dst, data)
                    tally.done += len(data)
                taken[0] += 1

    def frames(self, src: BinaryIO) -> Iterator[container.Frame]:
        """The parsed frames of an archive read from src, one in memory at a time."""
        return container.read_frames(src, self.max_length)

    def decompressobj(self) -> "DecompressionObj":
        """An incremental decompressor, as lzma.LZMADecompressor: decompress(data, max_length)."""
        return DecompressionObj(self)

    def decode_frame(self, f: container.Frame, *, progress: Optional[Progress] = None,
                     warm: Optional[WarmStart] = None) -> bytes:
        """One frame's bytes; a frame of a warm chain needs `warm`, its chain's frame before
        it as it ended (reader() keeps them)."""
        return self.decode_linked(f, warm, progress)[0]

    def decode_linked(self, f: container.Frame, warm: Optional[WarmStart] = None,
                      progress: Optional[Progress] = None) -> tuple[bytes, Optional[WarmStart]]:
        """decode_frame(), and what the next frame of its warm chain may start from."""
        return frame.decode(f, self.ignore_fingerprint, progress, self.max_params, self.memlimit,
                            self.max_work, self.device, self.threads, warm)

    def reader(self) -> "FrameReader":
        """Frames decoded one after the other in archive order, warm chains followed."""
        return FrameReader(self)


class FrameReader:
    """An archive's frames decoded in order, one at a time: each frame of a warm chain starts
    from what the frame before it in its chain ended with (Decompressor.reader)."""

    def __init__(self, decompressor: Decompressor):
        self.decompressor, self.chain, self.k = decompressor, Chain(), 0

    def decode(self, f: container.Frame, progress: Optional[Progress] = None) -> bytes:
        self.chain.join(f.warm)
        data, link = self.decompressor.decode_linked(f, self.chain.before(self.k, f.warm),
                                                     progress)
        self.chain.add(self.k, link)
        self.k += 1
        return data

    def skip(self, f: container.Frame) -> None:
        """Pass over f without decoding it (it ends no chain a later frame needs)."""
        assert not self.needed(f)
        self.chain.add(self.k, None)
        self.k += 1

    @staticmethod
    def needed(f: container.Frame) -> bool:
        """Whether f must be decoded for the frames after it: a model frame of a warm chain."""
        return f.warm > 0


class DecompressionObj:
    """Archive bytes in, data out, as lzma.LZMADecompressor: a frame is decoded once all its
    bytes have arrived. `eof` is true when the input so far ends where a frame ends (an archive
    may end there; more frames may follow, as with concatenated gzip members); `needs_input` is
    false while decoded data is waiting beyond a max_length; `unused_data` is always b"" (bytes
    after a frame are the next frame's, or an error)."""

    def __init__(self, decompressor: Decompressor):
        self._d = decompressor
        self._reader = decompressor.reader()
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
            self._out += self._reader.decode(f)
            self._frames += 1
        n = len(self._out) if max_length is None or max_length < 0 else max_length
        out = bytes(self._out[:n])
        del self._out[:n]
        return out


__all__ = ["Compressor", "Decompressor", "FrameWriter", "FrameReader", "CompressionObj",
           "DecompressionObj",
           "FrameInfo", "CompressInfo",
           "DEFAULT_BLOCK_SIZE", "DEFAULT_MAX_PARAMS"]
