"""One-shot compress/decompress, in the style of the standard lzma and zlib modules."""
from __future__ import annotations

import dataclasses
import io
import lzma
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Optional

import numpy as np

from . import container, determinism, presets, tokenizer
from .checkpoint import Checkpoint, CheckpointError
from .config import LSTMConfig
from .container import KIND_MODEL
from .errors import CorruptDataError, EnvironmentMismatchError, LimitError

if TYPE_CHECKING:  # the engine imports torch: only running a model does (see _engine)
    from .engine import Progress, SegmentHook


@dataclass
class CompressInfo:
    """What a compression did: for -v, bench and tests."""
    n: int
    compressed: int
    kind: str  # of the frame(s) written: model, stored, lzma (or a mix, comma-separated)
    model_bits: float  # the model's cross-entropy, Σ -log2 p; nan when the model did not run
    seconds: float
    config: Optional[LSTMConfig]

    @property
    def stored(self) -> bool:
        return self.kind == "stored"


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
                  progress: Optional[Progress] = None, on_segment: Optional[SegmentHook] = None,
                  resume: Optional[dict] = None, fallback: bool = True) -> tuple[bytes, CompressInfo]:
    """compress() for one frame, with what the caller may want to know about it.

    With fallback (the default) the frame is the smallest of the model's, a stored one and an
    LZMA2 one; without it, the model's or a stored one (for measuring the model alone).
    """
    data = bytes(data)
    device = determinism.check_device(device)
    cfg = config or presets.get(preset, device)
    threads = threads or determinism.default_threads()
    if not data or (resume is None and looks_incompressible(data)):
        blob = container.write_stored(data)
        return blob, CompressInfo(len(data), len(blob), "stored", math.nan, 0.0, None)
    cfg, symbols, section = prepare(data, cfg, device)
    payload, stats = _engine().encode(symbols, cfg, threads, _per_byte(progress, len(data)),
                                      on_segment, resume, device=device)
    payload = section + payload
    fp = determinism.fingerprint(device, cfg.dtype, threads)
    blob = container.write_model(len(data), container.crc32(data), preset, cfg, fp, payload)
    blob = min([blob, *(_fallbacks(data, len(blob)) if fallback else [container.write_stored(data)])],
               key=len)
    kind = container.KIND_NAMES[blob[5]]
    if verify and decompress(blob) != data:
        raise CorruptDataError("verification failed: the archive does not decode to the input")
    return blob, CompressInfo(len(data), len(blob), kind, stats.bits, stats.seconds, cfg)


def _engine():
    """nncomp.engine, imported on first use: torch takes ~2 s to import, and listing, testing
    LZMA frames, --version or a usage error need none of it; load_torch() says why it comes first."""
    determinism.load_torch()
    from . import engine
    return engine


def prepare(data: bytes, cfg: LSTMConfig, device: str) -> tuple[LSTMConfig, bytes | np.ndarray, bytes]:
    """What the engine codes for data on device: the config that runs (as a header stores it),
    the symbols (data itself, or a text dictionary's) and the dictionary section (or b"")."""
    symbols: bytes | np.ndarray = data
    section = b""
    if (merges := dictionary_size(cfg, data)) > 0:
        dictionary, symbols = tokenizer.build(data, merges, cfg.text_case)
        cfg = dataclasses.replace(cfg, vocab=dictionary.vocab, text_case=bool(dictionary.case))
        section = dictionary.to_section(len(symbols))
    else:
        cfg = dataclasses.replace(cfg, text_case=False)  # the header says what was done
    cfg = cfg.resolve_streams(len(symbols))
    if not determinism.native_bf16(device):
        cfg = cfg.in_float32()  # bf16 would not run here, or would run slower than float32
    return cfg, symbols, section


# Below this a dictionary costs more than it saves. Preset fast, model bits + dictionary:
# alice29.txt (152 kB) 2.393 bits/byte against 2.353 with bytes; lcet10.txt (427 kB) 2.10
# against 2.12; plrabn12.txt (482 kB) 2.43 against 2.50; dickens' first MB 2.105 against 2.193.
MIN_TEXT_LENGTH = 1 << 18
BYTES_PER_MERGE = 512  # at most one merge per this many input bytes: the dictionary's cost


def dictionary_size(cfg: LSTMConfig, data: bytes) -> int:
    """How many merges the text dictionary may learn for data: 0 = code bytes."""
    if cfg.text_vocab <= 256 or len(data) < MIN_TEXT_LENGTH or not tokenizer.looks_like_text(data):
        return 0
    return min(cfg.text_vocab - 256, len(data) // BYTES_PER_MERGE)


def _per_byte(progress: Optional[Progress], n_bytes: int) -> Optional[Progress]:
    """Report progress over symbols as (approximate) bytes."""
    if progress is None:
        return None
    return lambda d, n, bits: progress(d * n_bytes // max(n, 1), n_bytes, bits)


# xz -9e costs ~1 s per MB, 10 % of preset fast's time. A fast LZMA2 pass (a tenth of that) over
# the whole input bounds it well: on every file of the shared corpora xz -9e's output was 77 % to
# 101 % of the fast pass's (kennedy.xls 0.777, xml 0.771, dickens 0.779). Where the model's frame
# is under SKIP_LZMA_BELOW of the fast pass, LZMA2 cannot win and is not run.
SKIP_LZMA_BELOW = 0.72
QUICK_LZMA_FROM = 1 << 20  # below this, xz -9e takes well under a second: always run it


def _quick_lzma_size(data: bytes) -> int:
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 1, "mode": lzma.MODE_FAST, "mf": lzma.MF_HC4,
                "nice_len": 64, "dict_size": min(max(len(data), 1 << 20), 64 << 20)}]
    return len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters))


def _fallbacks(data: bytes, model_size: int) -> list[bytes]:
    """Frames the model must beat: stored, and LZMA2 at xz -9e's settings (small inputs,
    where the network has not learnt enough yet, and very repetitive ones)."""
    out = [container.write_stored(data)]
    if len(data) > container.LZMA_MAX_LENGTH:
        return out
    if len(data) < QUICK_LZMA_FROM or model_size >= SKIP_LZMA_BELOW * _quick_lzma_size(data):
        out.append(container.write_lzma(data))
    return out


def compress(data: bytes, preset: str = presets.DEFAULT_PRESET, *, threads: Optional[int] = None,
             device: str = "cpu", verify: bool = False, fallback: bool = True) -> bytes:
    """Compress bytes into a .nnc archive."""
    return compress_info(data, preset, threads=threads, device=device, verify=verify,
                         fallback=fallback)[0]


# Input is coded in independent frames of at most this many bytes, so memory stays bounded
# whatever the input size; each frame's model starts afresh (a small ratio cost per block).
DEFAULT_BLOCK_SIZE = 32 << 20


def _offset(progress: Optional[Progress], done: int, total: Optional[int]) -> Optional[Progress]:
    """A frame's progress callback reporting on the whole stream."""
    if progress is None:
        return None
    return lambda d, n, bits: progress(done + d, total if total is not None else done + n, bits)


def compress_stream(src: BinaryIO, dst: BinaryIO, preset: str = presets.DEFAULT_PRESET, *,
                    block_size: int = DEFAULT_BLOCK_SIZE, threads: Optional[int] = None,
                    device: str = "cpu", verify: bool = False, progress: Optional[Progress] = None,
                    total: Optional[int] = None, checkpoint: Optional[Checkpoint] = None,
                    fallback: bool = True) -> CompressInfo:
    """Compress src into dst one block (frame) at a time; memory does not grow with the input.

    With a checkpoint, a run that was interrupted continues where its last save left it and
    writes the same bytes an uninterrupted run would.
    """
    if block_size < 1:
        raise ValueError("block_size must be positive")
    device = determinism.check_device(device)
    threads = threads or determinism.default_threads()
    n = written = 0
    bits, seconds, kinds = 0.0, 0.0, set()
    resume = None
    if checkpoint is not None:
        cfg = presets.get(preset, device)
        settings = {"preset": preset, "config": cfg.to_dict(), "block_size": block_size,
                    "fallback": fallback, "threads": threads,
                    "fingerprint": determinism.fingerprint(device, cfg.dtype, threads)}
        resume = checkpoint.resume(settings, src, dst)
        n, written = checkpoint.input_done, checkpoint.frames_len
    while True:
        block = container.read_upto(src, block_size)
        if not block and n > 0:
            break
        snap = None
        if resume is not None:
            if (len(block), zlib.crc32(block)) != (resume["block_len"], resume["block_crc"]):
                raise CheckpointError("the input differs from the one the checkpoint was made from")
            snap, resume = resume["engine"], None
        blob, ci = compress_info(
            block, preset, threads=threads, device=device, verify=verify,
            progress=_offset(progress, n, total),
            on_segment=checkpoint.segment_hook(block) if checkpoint else None, resume=snap,
            fallback=fallback)
        dst.write(blob)
        if checkpoint is not None:
            checkpoint.frame_done(block, blob)
        n, written = n + len(block), written + len(blob)
        kinds.add(ci.kind)
        seconds += ci.seconds
        bits += 0.0 if math.isnan(ci.model_bits) else ci.model_bits
        if len(block) < block_size:
            break
    kind = ",".join(sorted(kinds))
    return CompressInfo(n, written, kind, math.nan if kind == "stored" else bits, seconds, None)


# Decoding time and memory are set by the archive's model: like xz's memory limit, refuse
# models far beyond any preset unless the caller raises the limit.
DEFAULT_MAX_PARAMS = 64_000_000


def decompress(blob: bytes, *, ignore_fingerprint: bool = False,
               max_length: int = container.MAX_LENGTH, max_params: int = DEFAULT_MAX_PARAMS,
               progress: Optional[Progress] = None) -> bytes:
    """Decompress a whole .nnc archive (one or more frames)."""
    # Every frame is parsed and checksummed before a model runs: damage anywhere in the archive
    # (trailing garbage, a cut, a flipped bit) is reported at once, not after minutes of decoding.
    frames = list(container.iter_frames(memoryview(blob), max_length))
    return b"".join(decode_frame(f, ignore_fingerprint, progress, max_params) for f in frames)


def decompress_stream(src: BinaryIO, dst: Optional[BinaryIO], *, ignore_fingerprint: bool = False,
                      max_length: int = container.MAX_LENGTH, max_params: int = DEFAULT_MAX_PARAMS,
                      progress: Optional[Progress] = None) -> int:
    """Decompress src into dst (None: only check) frame by frame; returns the output size."""
    n = 0
    for frame in container.read_frames(src, max_length):
        data = decode_frame(frame, ignore_fingerprint, _offset(progress, n, None), max_params)
        if dst is not None:
            dst.write(data)
        n += len(data)
    return n


def decode_frame(frame: container.Frame, ignore_fingerprint: bool = False,
                 progress: Optional[Progress] = None, max_params: int = DEFAULT_MAX_PARAMS) -> bytes:
    if frame.kind != KIND_MODEL:  # stored and lzma frames are decoded by the container
        return frame.data
    assert frame.config is not None and frame.fingerprint is not None
    n_params = frame.config.n_params()
    if n_params > max_params:
        raise LimitError(f"the archive's model has {n_params:,} parameters, over the "
                         f"limit of {max_params:,}")
    device = frame.fingerprint.get("device", "cpu")
    if not ignore_fingerprint:
        determinism.check(frame.fingerprint, device)
    elif device == "cuda" and not determinism.cuda_available():
        device = "cpu"  # the checksum will say whether the CPU happened to compute the same floats
    determinism.check_dtypes(frame.config.dtypes(), device)
    symbols, _ = _engine().decode(frame.data, frame.symbols, frame.config,
                                  frame.fingerprint["threads"], _per_byte(progress, frame.length),
                                  device=device)
    if frame.dictionary is not None:
        data = frame.dictionary.decode(symbols, frame.length)
    else:
        data = symbols.tobytes()
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
    return info_stream(io.BytesIO(blob))


def info_stream(src: BinaryIO) -> list[FrameInfo]:
    """info() of an archive read from a stream, one frame in memory at a time."""
    out = []
    for frame in container.read_frames(src):
        cfg = frame.config if frame.kind == KIND_MODEL else None
        out.append(FrameInfo(container.KIND_NAMES[frame.kind], frame.length, frame.size,
                             frame.preset, dataclasses.asdict(cfg) if cfg else None,
                             frame.fingerprint))
    return out
