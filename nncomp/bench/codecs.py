"""The benchmark's rows: nncomp's presets and the conventional codecs, all in-process through
their reference libraries: zlib (gzip), liblzma (xz), libzstd (zstandard), libbzip2 (bz2) and
brotli. One method for every codec; each runs single-threaded (Python's lzma and bz2 are; zstd
gets threads=0). Conventional rows never import torch (lighter workers)."""
from __future__ import annotations

import bz2
import ctypes
import ctypes.util
import gzip
import lzma
import zlib
from typing import Callable, Optional

from .._version import __version__
from .codec import Codec


def _c_version(lib: str, fn: str) -> str:
    try:
        f = getattr(ctypes.CDLL(ctypes.util.find_library(lib)), fn)
        f.restype = ctypes.c_char_p
        return f().decode()
    except (OSError, AttributeError, TypeError):
        return "unknown"


class Gzip(Codec):
    def __init__(self, level: int):
        self.level = level
        self.name = f"gzip-{level}"
        self.description = f"gzip -{level} (zlib {zlib.ZLIB_RUNTIME_VERSION}, Python gzip module)"
        self.version = f"zlib {zlib.ZLIB_RUNTIME_VERSION}"

    def compress(self, data: bytes) -> bytes:
        return gzip.compress(data, compresslevel=self.level, mtime=0)

    def decompress(self, blob: bytes) -> bytes:
        return gzip.decompress(blob)


class Xz(Codec):
    def __init__(self, level: int, extreme: bool):
        self.preset = level | (lzma.PRESET_EXTREME if extreme else 0)
        flag = f"-{level}{'e' if extreme else ''}"
        self.name = f"xz{flag}"
        self.version = f"liblzma {_c_version('lzma', 'lzma_version_string')}"
        self.description = f"xz {flag} -T1 ({self.version}, Python lzma module)"

    def compress(self, data: bytes) -> bytes:
        return lzma.compress(data, format=lzma.FORMAT_XZ, preset=self.preset)

    def decompress(self, blob: bytes) -> bytes:
        return lzma.decompress(blob)


class Zstd(Codec):
    def __init__(self, level: int, long_window: int = 0):
        import zstandard
        self.zstd = zstandard
        self.level, self.window = level, long_window
        flags = f"-{level}" if level <= 19 else f"--ultra -{level}"
        if long_window:
            flags += f" --long={long_window}"
        self.name = f"zstd-{level}" + ("-long" if long_window else "")
        v = ".".join(map(str, zstandard.ZSTD_VERSION))
        self.version = f"libzstd {v}, zstandard {zstandard.__version__}"
        self.description = f"zstd {flags} -T1 ({self.version})"

    def compress(self, data: bytes) -> bytes:
        if self.window:
            params = self.zstd.ZstdCompressionParameters.from_level(
                self.level, source_size=len(data), window_log=self.window, enable_ldm=True,
                threads=0)
            c = self.zstd.ZstdCompressor(compression_params=params)
        else:
            c = self.zstd.ZstdCompressor(level=self.level, threads=0)
        return c.compress(data)

    def decompress(self, blob: bytes) -> bytes:
        d = self.zstd.ZstdDecompressor(max_window_size=1 << max(self.window, 27))
        return d.decompress(blob)


class Bzip2(Codec):
    name = "bzip2-9"
    version = f"libbz2 {_c_version('bz2', 'BZ2_bzlibVersion')}"
    description = f"bzip2 -9 ({version}, Python bz2 module)"

    def compress(self, data: bytes) -> bytes:
        return bz2.compress(data, 9)

    def decompress(self, blob: bytes) -> bytes:
        return bz2.decompress(blob)


class Brotli(Codec):
    def __init__(self):
        import brotli
        self.brotli = brotli
        self.name = "brotli-11"
        self.version = f"brotli {getattr(brotli, '__version__', 'unknown')}"
        self.description = f"brotli -q 11 ({self.version})"

    def compress(self, data: bytes) -> bytes:
        return self.brotli.compress(data, quality=11)

    def decompress(self, blob: bytes) -> bytes:
        return self.brotli.decompress(blob)


def _brotli_available() -> bool:
    try:
        import brotli  # noqa: F401
        return True
    except ImportError:
        return False


FACTORIES = {
    "gzip-1": lambda: Gzip(1), "gzip-6": lambda: Gzip(6), "gzip-9": lambda: Gzip(9),
    "xz-6": lambda: Xz(6, False), "xz-9e": lambda: Xz(9, True),
    "zstd-3": lambda: Zstd(3), "zstd-19": lambda: Zstd(19), "zstd-22-long": lambda: Zstd(22, 27),
    "bzip2-9": Bzip2,
}
if _brotli_available():
    FACTORIES["brotli-11"] = Brotli


class NNCompCodec(Codec):
    slow = True

    def __init__(self, preset: str, device: str = "cpu", threads: Optional[int] = None):
        from ..compressor import Compressor
        self.compressor = Compressor(preset, threads=threads, device=device)
        self.preset, self.device, self.threads = preset, device, self.compressor.threads
        self.name = f"nncomp-{preset}" + ("" if device == "cpu" else f"-{device}")
        self.version = f"nncomp {__version__}"
        self.description = f"nncomp --preset {preset} on {device}, {self.threads} threads"
        self._info = None

    def compress(self, data: bytes) -> bytes:
        blob, self._info = self.compressor.compress_frame(data)
        return blob

    def decompress(self, blob: bytes) -> bytes:
        from ..compressor import Decompressor
        return Decompressor().decompress(blob)

    def extra(self) -> dict:
        i = self._info
        if i is None:
            return {}
        return {"model_bits": None if i.stored else i.model_bits, "stored": i.stored, "kind": i.kind,
                "streams": i.config.streams if i.config else None}

    def meta(self) -> dict:
        import torch
        return {**super().meta(), "threads": self.threads, "torch": torch.__version__}


def registry() -> dict[str, Callable[[], Codec]]:
    from ..presets import PRESETS
    out: dict[str, Callable[[], Codec]] = dict(FACTORIES)
    for p in PRESETS:
        out[f"nncomp-{p}"] = (lambda p=p: NNCompCodec(p))
    return out


DEFAULT_CODECS = ["gzip-1", "gzip-6", "gzip-9", "xz-6", "xz-9e", "zstd-3", "zstd-19",
                  "zstd-22-long", "bzip2-9", "brotli-11"]


def make_codec(name: str) -> Codec:
    """Build a codec by row name; conventional ones never import torch (lighter workers)."""
    if name.startswith("nncomp-"):
        preset, cuda = name[len("nncomp-"):], name.endswith("-cuda")
        return NNCompCodec(preset[:-5] if cuda else preset, device="cuda" if cuda else "cpu")
    if name not in FACTORIES:
        raise KeyError(f"unknown codec {name!r}; known: {', '.join(registry())}")
    return FACTORIES[name]()
