"""One frame, both ways: data -> symbols -> engine -> container frame, and back.

A frame holds one block of input. Compressing runs the model over it (after a text dictionary
where the input is text) and keeps the smallest of the model's frame, a stored one and the
conventional ones (ZPAQ, LZMA2, PPMd); decompressing checks what decides the floats, runs the
same model and checks the result's CRC-32. torch is imported only when a model runs
(`_engine`): the other frames, listing and usage errors never pay its ~2 s.
"""
from __future__ import annotations

import dataclasses
import lzma
import math
import threading
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from . import limits, presets
from .config import ModelConfig
from .engine import determinism
from .errors import CorruptDataError, EnvironmentMismatchError, LimitError
from .format import container, tokenizer, zpaqframe
from .format.container import KIND_MODEL

if TYPE_CHECKING:  # the engine imports torch: only running a model does (see _engine)
    from .engine.loop import Progress, SegmentHook


@dataclass
class CompressInfo:
    """What a compression did: for -v, bench and tests."""
    n: int
    compressed: int
    kind: str  # of the frame(s) written: model, stored, lzma, ppmd, zpaq (or a mix, comma-separated)
    model_bits: float  # the model's cross-entropy, Σ -log2 p; nan when the model did not run
    seconds: float
    config: Optional[ModelConfig]
    warm: Optional["WarmStart"] = None  # a model frame of a warm chain, as it ended

    @property
    def stored(self) -> bool:
        return self.kind == "stored"


def _engine():
    """nncomp.engine.loop, imported on first use: torch takes ~2 s to import, and listing,
    testing LZMA frames, --version or a usage error need none of it."""
    determinism.load_torch()
    from .engine import loop
    return loop


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


# Below this a dictionary costs more than it saves (benchmarks/README.md: text dictionary).
MIN_TEXT_LENGTH = 1 << 18
BYTES_PER_MERGE = 512  # at most one merge per this many input bytes: the dictionary's cost


def dictionary_size(cfg: ModelConfig, data: bytes) -> int:
    """How many merges the text dictionary may learn for data: 0 = code bytes."""
    if cfg.text_vocab <= 256 or len(data) < MIN_TEXT_LENGTH or not tokenizer.looks_like_text(data):
        return 0
    return min(cfg.text_vocab - 256, len(data) // BYTES_PER_MERGE)


@dataclass
class WarmStart:
    """A model frame of a warm chain as it ended: what the frame `config.warm` frames after it
    may start from (its network, and its text dictionary, which that frame then spells with)."""
    crc32: int  # of the frame's original bytes
    config: ModelConfig
    dictionary: Optional[tokenizer.Dictionary]
    network: dict

    # What a frame may change from the one it starts from: its length's stream count, and the
    # rate schedule (presets.warm_start, and resolve's rule for few streams).
    FREE = ("streams", "lr", "warmup", "lr_end", "lr_below", "lr_few", "float32_below")

    def fits(self, cfg: ModelConfig) -> bool:
        """Whether a frame of config cfg can start from this network: the same network and
        training in every other field."""
        same = {f: getattr(self.config, f) for f in self.FREE}
        return dataclasses.replace(cfg, **same) == self.config


def prepare(data: bytes, recipe: ModelConfig, device: str
            ) -> tuple[ModelConfig, bytes | np.ndarray, Optional[tokenizer.Dictionary]]:
    """What the engine codes for data on device: the config that runs (as a header stores it),
    the symbols (data itself, or a text dictionary's) and the dictionary (or None)."""
    dictionary, symbols = None, data  # type: Optional[tokenizer.Dictionary], bytes | np.ndarray
    if (merges := dictionary_size(recipe, data)) > 0:
        dictionary, symbols = tokenizer.build(data, merges, recipe.text_case)
    return _resolved(recipe, symbols, dictionary, device), symbols, dictionary


def prepare_warm(data: bytes, recipe: ModelConfig, device: str, warm: WarmStart
                 ) -> tuple[ModelConfig, bytes | np.ndarray, Optional[tokenizer.Dictionary],
                            Optional[WarmStart]]:
    """prepare() for a frame that may start from warm: spelt with warm's dictionary where it
    can be, and warm where its network fits the frame's config (presets.warm_start's then), or
    None: the frame starts cold."""
    if warm.dictionary is not None and (spelt := warm.dictionary.encode(data)) is not None:
        cfg = _resolved(recipe, spelt, warm.dictionary, device)
        if warm.fits(cfg):
            return presets.warm_start(cfg), spelt, warm.dictionary, warm
    cfg, symbols, dictionary = prepare(data, recipe, device)
    if warm.fits(cfg):
        return presets.warm_start(cfg), symbols, dictionary, warm
    return cfg, symbols, dictionary, None


def _resolved(recipe: ModelConfig, symbols: bytes | np.ndarray,
              dictionary: Optional[tokenizer.Dictionary], device: str) -> ModelConfig:
    vocab, case = (dictionary.vocab, bool(dictionary.case)) if dictionary else (recipe.vocab, False)
    return presets.resolve(recipe, len(symbols), vocab=vocab, text_case=case,
                           bf16=determinism.native_bf16(device))


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


# PPMd's output has been at least 62 % of the fast LZMA2 pass's on every file of the shared
# corpora (dickens 0.624, xml 0.671, lcet10.txt 0.696, kennedy.xls 1.97); where the smallest
# frame so far (the model's or ZPAQ's) is under SKIP_PPMD_BELOW of that pass, PPMd cannot win
# and is not run. Small inputs try two orders (8 is best on some texts, 16 on others, by under
# 1 %; each try is decoded once); large ones, where a try costs seconds, one. ZPAQ is tried on
# every block of ZPAQ_FROM bytes to zpaqframe.ZPAQ_MAX_LENGTH, beside the model where that runs
# (its output has been 24 % of the fast pass on kennedy.xls, 58 % on dickens and xml: no share
# of the pass rules it out); under ZPAQ_FROM PPMd or LZMA2 has been smaller on every file
# (grammar.lsp, xargs.1, fields.c) and libzpaq's method-5 model alone allocates ~86 MiB.
SKIP_PPMD_BELOW = 0.6
PPMD_ORDERS_SMALL, PPMD_ORDERS_LARGE = (8, 16), (16,)
# Up to container.SMALL_MAX_LENGTH bytes, small frames replace the PPMd frames above: 13-16
# bytes of frame instead of 31. What they try, each a few ms at that size: PPMd var. H at the
# orders that were best or within a few bytes of the best on the small Canterbury files
# (grammar.lsp 10, xargs.1 5, cp.html 9, fields.c 20), var. I at 8 and 16 (fields.c: 5 bytes
# under var. H), and brotli (xargs.1: 24 bytes under PPMd; sum: 10 % under).
SMALL_PPMD = (("H", 5), ("H", 6), ("H", 8), ("H", 10), ("H", 16), ("I", 8), ("I", 16))
ZPAQ_FROM = 16 << 10


class _Zpaq:
    """A ZPAQ frame written (and decoded once) by libzpaq in a thread while the model runs.
    libzpaq releases the GIL: it takes a core the model's threads leave free, or shares them
    (fast on dickens, two threads on two cores: 242 s against 305 s one after the other)."""

    def __init__(self, data: bytes):
        self.blob: Optional[bytes] = None
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, args=(data,), daemon=True,
                                       name="nncomp-zpaq")
        self.thread.start()

    def _run(self, data: bytes) -> None:
        try:
            self.blob = container.write_zpaq(data)
        except BaseException as e:  # raised again in the caller's thread
            self.error = e

    def result(self) -> Optional[bytes]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.blob


def _start_zpaq(data: bytes) -> Optional[_Zpaq]:
    """ZPAQ's frame of a block, started now where it is tried (ZPAQ_FROM bytes and up)."""
    return _Zpaq(data) if ZPAQ_FROM <= len(data) <= zpaqframe.ZPAQ_MAX_LENGTH else None


def _fallbacks(data: bytes, model_size: int, zpaq: Optional[_Zpaq] = None) -> list[bytes]:
    """Frames the model must beat: stored, ZPAQ method 5, LZMA2 at xz -9e's settings and PPMd
    (small inputs, where the network has not learnt enough yet, large text where ZPAQ's
    context mixing is ahead of it, and very repetitive inputs; up to SMALL_MAX_LENGTH bytes,
    small frames of PPMd and brotli instead of PPMd's), LZMA2 and PPMd unless the smallest
    frame so far is certain to beat them. zpaq: ZPAQ's frame, started before the
    model ran (None: written here)."""
    out = [container.write_stored(data)]
    if len(data) > container.CODED_MAX_LENGTH:
        return out
    if zpaq is None:
        zpaq = _start_zpaq(data)  # beside the quick pass
    quick = _quick_lzma_size(data) if len(data) >= QUICK_LZMA_FROM else None
    best = model_size

    def worth(skip_below: float) -> bool:
        return quick is None or best >= skip_below * quick

    if zpaq is not None and (blob := zpaq.result()):
        out.append(blob)
        best = min(best, len(blob))
    if worth(SKIP_LZMA_BELOW):
        out.append(container.write_lzma(data))
    if 0 < len(data) <= container.SMALL_MAX_LENGTH:
        out += [blob for variant, order in SMALL_PPMD
                if (blob := container.write_small_ppmd(data, variant, order))]
        out += [blob for blob in [container.write_small_brotli(data)] if blob]
    elif worth(SKIP_PPMD_BELOW):
        orders = PPMD_ORDERS_SMALL if quick is None else PPMD_ORDERS_LARGE
        out += [blob for order in orders if (blob := container.write_ppmd(data, order))]
    return out


# A block of a warm chain whose frame is a conventional one ends its chain: the block cfg.warm
# after it starts cold (a decoder rebuilds a network only from a model frame). So in a chain a
# conventional frame replaces the model's only where it is under WARM_KEEP of its size, or the
# model's is larger than the stored one. Dickens in 1 MiB blocks, fast, --warm 1: ZPAQ's frame
# was 8.7 % under the first (cold) model frame and won every block as each chain restarted,
# 1.840 bits/byte; kept, the chain's frames went from 1.933 to 1.66-1.69, 1.747 in all
# (benchmarks/2026-12-08-epyc-avx2-warm-fallbacks). Where ZPAQ's frame is far smaller
# (tables, images: 2-3x) it still wins.
WARM_KEEP = 0.9


def _choose(model: bytes, others: list[bytes], chained: bool) -> bytes:
    """The frame written: the smallest of the model's and others (others[0] the stored frame),
    the model's on a tie; in a warm chain, the model's unless another is under WARM_KEEP of its
    size or the model's is larger than the stored frame."""
    best = min(others, key=len)
    if len(best) < len(model) * (WARM_KEEP if chained else 1.0) or len(model) > len(others[0]):
        return best
    return model


def _per_byte(progress: Optional[Progress], n_bytes: int) -> Optional[Progress]:
    """Report progress over symbols as (approximate) bytes."""
    if progress is None:
        return None
    return lambda d, n, bits: progress(d * n_bytes // max(n, 1), n_bytes, bits)


def encode(data: bytes, recipe: ModelConfig, preset: str, *, threads: int, device: str,
           fallback: bool = True, progress: Optional[Progress] = None,
           on_segment: Optional[SegmentHook] = None, resume: Optional[dict] = None,
           model_from: int = 0, warm: Optional[WarmStart] = None) -> tuple[bytes, CompressInfo]:
    """One frame of data: the smallest of the model's, a stored one and (with fallback) the
    conventional ones (_fallbacks); without fallback, the model's or a stored one (for measuring the
    model alone). `preset` is the name the header records. Under model_from bytes (with
    fallback) the model is not run: the smallest of the others, in a fraction of a second,
    without torch.

    With recipe.warm, the frame is part of a warm chain: it starts from `warm` (the frame
    recipe.warm frames before it, as it ended) where that one fits, and a model frame's info
    carries what the frame recipe.warm frames after it may start from."""
    if not data or (resume is None and looks_incompressible(data)):
        blob = container.write_stored(data)
        return blob, CompressInfo(len(data), len(blob), "stored", math.nan, 0.0, None)
    if fallback and resume is None and len(data) < model_from:
        blob = min(_fallbacks(data, 1 << 62), key=len)
        return blob, CompressInfo(len(data), len(blob), container.kind_name(blob), math.nan, 0.0,
                                  None)
    if warm is None:
        cfg, symbols, dictionary = prepare(data, recipe, device)
    else:
        cfg, symbols, dictionary, warm = prepare_warm(data, recipe, device, warm)
    section = dictionary.to_section(len(symbols)) if dictionary else b""
    if cfg.warm:
        section += container.warm_section(warm.crc32 if warm else None)
    loop = _engine()
    hooks = loop.Hooks(progress=_per_byte(progress, len(data)), on_segment=on_segment)
    zpaq = _start_zpaq(data) if fallback else None
    payload, stats = loop.encode(symbols, cfg, threads, device, hooks, resume,
                                 warm.network if warm else None)
    fp = determinism.fingerprint(device, cfg.dtype, threads, cfg.exact)
    crc = container.crc32(data)
    blob = container.write_model(len(data), crc, preset, cfg, fp, section + payload)
    blob = _choose(blob, _fallbacks(data, len(blob), zpaq) if fallback
                   else [container.write_stored(data)], chained=bool(cfg.warm))
    kind = container.kind_name(blob)
    link = WarmStart(crc, cfg, dictionary, stats.network) \
        if stats.network is not None and kind == "model" else None
    return blob, CompressInfo(len(data), len(blob), kind, stats.bits, stats.seconds, cfg, link)


# Decoding time and memory are set by the archive's model: like xz's memory limit, refuse
# models far beyond any preset unless the caller raises the limit.
DEFAULT_MAX_PARAMS = 64_000_000


def decode(frame: container.Frame, ignore_fingerprint: bool = False,
           progress: Optional[Progress] = None, max_params: int = DEFAULT_MAX_PARAMS,
           memlimit: Optional[int] = None, max_work: float = limits.DEFAULT_MAX_WORK,
           device: Optional[str] = None, threads: Optional[int] = None,
           warm: Optional[WarmStart] = None) -> tuple[bytes, Optional[WarmStart]]:
    """The bytes a parsed frame holds (container.read_frames), and what the frame of its warm
    chain after it may start from (None outside a chain). Before anything is allocated, the
    frame's cost is checked against the limits (nncomp/limits.py): LimitError past one.
    device and threads: where an exact frame is decoded (None: the CPU, default_threads());
    a float-engine frame runs on the device and thread count it records. warm: the frame
    config.warm frames before this one, as it ended (None where there is none)."""
    if frame.kind == container.KIND_STORED:
        return frame.data, None
    if frame.kind != KIND_MODEL:  # LZMA2, PPMd, ZPAQ; max_work also scales ZPAQ's CPU time
        return container.inflate(frame, limits.default_memlimit() if memlimit is None else memlimit,
                                 max_work / limits.DEFAULT_MAX_WORK), None
    assert frame.config is not None and frame.fingerprint is not None
    if frame.warm_from is not None and (warm is None or warm.crc32 != frame.warm_from
                                        or not warm.fits(frame.config)):
        raise CorruptDataError(f"a warm frame: it starts from the frame {frame.config.warm} "
                               "frames before it, which is missing or another (decode the "
                               "archive from its start)")
    n_params = frame.config.n_params()
    if n_params > max_params:
        raise LimitError(f"the archive's model has {n_params:,} parameters, over the "
                         f"limit of {max_params:,}")
    limits.check(frame.config, frame.symbols, frame.length,
                 limits.default_memlimit() if memlimit is None else memlimit, max_work)
    if frame.config.exact:  # the same bits anywhere: this machine's choice
        device = determinism.check_device(device or "cpu")
        threads = threads or determinism.default_threads()
    else:
        threads, device = _float_engine_settings(frame.fingerprint)
    if not ignore_fingerprint:
        determinism.check(frame.fingerprint, device)
    elif device == "cuda" and not determinism.cuda_available():
        device = "cpu"  # the checksum will say whether the CPU happened to compute the same floats
    determinism.check_dtypes(frame.config.dtypes(), device)
    loop = _engine()
    try:
        symbols, stats = loop.decode(frame.data, frame.symbols, frame.config, threads, device,
                                     loop.Hooks(progress=_per_byte(progress, frame.length)),
                                     warm.network if frame.warm_from is not None and warm else None)
    except (MemoryError, RuntimeError) as e:  # torch's allocators raise RuntimeError
        if isinstance(e, RuntimeError) and "memory" not in str(e).lower():
            raise
        raise LimitError("out of memory decoding a model frame (the memory limit is above "
                         "what this machine can give: lower --memlimit)") from None
    if frame.dictionary is not None:
        data = frame.dictionary.decode(symbols, frame.length)
    else:
        data = symbols.tobytes()
    if container.crc32(data) != frame.crc32:
        raise (EnvironmentMismatchError if ignore_fingerprint else CorruptDataError)(
            "decoded data fails its checksum"
            + (" (the fingerprint check was skipped: this machine likely computes different floats)"
               if ignore_fingerprint else ""))
    link = None if stats.network is None else WarmStart(frame.crc32, frame.config,
                                                        frame.dictionary, stats.network)
    return data, link


def _float_engine_settings(fp: dict) -> tuple[int, str]:
    """(threads, device) a float-engine frame decodes with: the recorded ones, which decide its
    floats (a GEMM's blocking follows the thread count); a header is not trusted with more
    threads than limits.max_threads()."""
    threads = fp["threads"]
    if threads > limits.max_threads():
        raise LimitError(f"the archive asks for {threads} threads, over the limit of "
                         f"{limits.max_threads()} on this machine")
    return threads, fp.get("device", "cpu")


@dataclass
class FrameInfo:
    """A frame as `nncomp -l` and info() describe it, without decoding it."""
    kind: str
    length: int
    compressed: int
    preset: str
    config: Optional[dict]
    fingerprint: Optional[dict]
    warm_start: bool = False  # a frame of warm chains that starts from frame k − config["warm"]

    @classmethod
    def of(cls, frame: container.Frame) -> "FrameInfo":
        cfg = frame.config if frame.kind == KIND_MODEL else None
        return cls(container.KIND_NAMES[frame.kind], frame.length, frame.size, frame.preset,
                   dataclasses.asdict(cfg) if cfg else None, frame.fingerprint,
                   frame.warm_from is not None)
