"""The benchmark's rows: nncomp's presets and the conventional codecs, in-process through their
reference libraries: zlib (gzip), liblzma (xz), libzstd (zstandard), libbzip2 (bz2), brotli, and
the strongest: PPMd (pyppmd) and ZPAQ (libzpaq through the zpaq binding); bsc, paq8px and cmix
as external commands where they are on the PATH. One method for every codec; each runs
single-threaded. Conventional rows never import torch (lighter workers)."""
from __future__ import annotations

import bz2
import ctypes
import ctypes.util
import gzip
import lzma
import os
import shutil
import subprocess
import tempfile
import zlib
from functools import partial
from typing import TYPE_CHECKING, Callable, Optional

from .._version import __version__
from .codec import Codec

if TYPE_CHECKING:
    from ..frame import CompressInfo


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


class Ppmd(Codec):
    """PPMd var. H (7-Zip's) or var. I through pyppmd, order 32 with 1 GiB, as 7-Zip's
    -m0=PPMd:o=32:mem=1g. A var. H stream does not know its length: 8 bytes of it come first."""

    def __init__(self, variant: str, order: int = 32, mem: int = 1 << 30):
        import pyppmd
        from importlib.metadata import version
        self.pyppmd, self.variant, self.order, self.mem = pyppmd, variant, order, mem
        self.name = f"ppmd{variant}-o{order}"
        self.version = f"pyppmd {version('pyppmd')}"
        self.description = (f"PPMd var. {variant}, order {order}, {mem >> 20} MiB "
                            f"({'7-Zip' if variant == 'H' else 'PPMd8'} model; {self.version})")

    def compress(self, data: bytes) -> bytes:
        if self.variant == "I":
            return self.pyppmd.compress(data, max_order=self.order, mem_size=self.mem, variant="I")
        enc = self.pyppmd.Ppmd7Encoder(self.order, self.mem)
        return len(data).to_bytes(8, "little") + enc.encode(data) + enc.flush()

    def decompress(self, blob: bytes) -> bytes:
        if self.variant == "I":
            out = self.pyppmd.decompress(blob, max_order=self.order, mem_size=self.mem, variant="I")
            assert isinstance(out, bytes)
            return out
        n = int.from_bytes(blob[:8], "little")
        return self.pyppmd.Ppmd7Decoder(self.order, self.mem).decode(blob[8:], n)


class Zpaq(Codec):
    """ZPAQ (context mixing) through libzpaq in the `zpaq` Python binding, one thread (one
    block, the best ratio). Timed once, as nncomp is: a minute a run on dickens."""
    slow = True

    def __init__(self, level: int):
        import zpaq
        from importlib.metadata import version
        self.zpaq, self.level = zpaq, level
        self.name = f"zpaq-{level}"
        self.version = f"zpaq (Python binding) {version('zpaq')}"
        self.description = f"ZPAQ method {level}, libzpaq in-process, 1 thread ({self.version})"

    def compress(self, data: bytes) -> bytes:
        return self.zpaq.compress(data, level=self.level, threads=1)

    def decompress(self, blob: bytes) -> bytes:
        return self.zpaq.decompress(blob, threads=1)


class Command(Codec):
    """A compressor found on the PATH, run on temporary files (external: its process start-up is
    in its time). `compress` and `decompress` are argument lists with {in} and {out}."""

    def __init__(self, name: str, program: str, compress: list[str], decompress: list[str],
                 description: str, slow: bool = False):
        self.name, self.program, self.slow = name, shutil.which(program) or program, slow
        self._c, self._d = compress, decompress
        self.version = program
        self.description = description + " (external command)"

    def _run(self, args: list[str], data: bytes) -> bytes:
        with tempfile.TemporaryDirectory(prefix="nncomp-cmd-") as tmp:
            src, dst = os.path.join(tmp, "in"), os.path.join(tmp, "out")
            with open(src, "wb") as f:
                f.write(data)
            subprocess.run([self.program, *(a.format(**{"in": src, "out": dst, "dir": tmp})
                                            for a in args)],
                           check=True, capture_output=True)
            with open(dst, "rb") as f:
                return f.read()

    def compress(self, data: bytes) -> bytes:
        return self._run(self._c, data)

    def decompress(self, blob: bytes) -> bytes:
        return self._run(self._d, blob)

    def meta(self) -> dict:
        return {**super().meta(), "method": "external command"}


FACTORIES: dict[str, Callable[[], Codec]] = {
    "gzip-1": lambda: Gzip(1), "gzip-6": lambda: Gzip(6), "gzip-9": lambda: Gzip(9),
    "xz-6": lambda: Xz(6, False), "xz-9e": lambda: Xz(9, True),
    "zstd-3": lambda: Zstd(3), "zstd-19": lambda: Zstd(19), "zstd-22-long": lambda: Zstd(22, 27),
    "bzip2-9": Bzip2, "brotli-11": Brotli,
    # The strongest conventional compressors: PPM and context mixing (their libraries are
    # nncomp's own dependencies, for its fallback frames; the commands count where on the PATH).
    "ppmdH-o32": lambda: Ppmd("H"), "ppmdI-o32": lambda: Ppmd("I"),
    **{f"zpaq-{level}": partial(Zpaq, level) for level in (3, 4, 5)},
}
if shutil.which("bsc"):
    FACTORIES["bsc-e2"] = lambda: Command(
        "bsc-e2", "bsc", ["e", "{in}", "{out}", "-b25", "-e2", "-T"], ["d", "{in}", "{out}", "-T"],
        "bsc -b25 -e2 (BWT + context mixing)")
for _prog, _args in (("paq8px", (["-8", "{in}", "{out}"], ["-d", "{in}", "{out}"])),
                     ("cmix", (["-c", "{in}", "{out}"], ["-d", "{in}", "{out}"]))):
    if shutil.which(_prog):
        FACTORIES[_prog] = partial(Command, _prog, _prog, _args[0], _args[1], _prog, slow=True)


class NNCompCodec(Codec):
    slow = True

    def __init__(self, preset: str, device: str = "cpu", threads: Optional[int] = None):
        from ..compressor import Compressor
        self.compressor = Compressor(preset, threads=threads, device=device)
        self.preset, self.device, self.threads = preset, device, self.compressor.threads
        self.name = f"nncomp-{preset}" + ("" if device == "cpu" else f"-{device}")
        self.version = f"nncomp {__version__}"
        self.description = f"nncomp --preset {preset} on {device}, {self.threads} threads"
        self._info: Optional[CompressInfo] = None

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
        out[f"nncomp-{p}"] = partial(NNCompCodec, p)
    return out


DEFAULT_CODECS = ["gzip-1", "gzip-6", "gzip-9", "xz-6", "xz-9e", "zstd-3", "zstd-19",
                  "zstd-22-long", "bzip2-9", "brotli-11", "ppmdH-o32", "zpaq-5", "bsc-e2"]


def make_codec(name: str) -> Codec:
    """Build a codec by row name; conventional ones never import torch (lighter workers)."""
    if name.startswith("nncomp-"):
        preset, cuda = name[len("nncomp-"):], name.endswith("-cuda")
        return NNCompCodec(preset[:-5] if cuda else preset, device="cuda" if cuda else "cpu")
    if name not in FACTORIES:
        raise KeyError(f"unknown codec {name!r}; known: {', '.join(registry())}")
    return FACTORIES[name]()
