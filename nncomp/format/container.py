"""The .nnc file format (docs/FORMAT.md): a sequence of frames, each stored or model-coded.

Everything read from a file is validated before it is acted on; nothing here unpickles or
evaluates. Integers are little-endian.
"""
from __future__ import annotations

import json
import lzma
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Optional

from ..config import ModelConfig
from ..errors import CorruptDataError, LimitError, TruncatedDataError
from . import zpaqframe
from .coder import MIN_BITS_PER_SYMBOL
from .tokenizer import MAX_SYMBOL_LEN, Dictionary

MAGIC = b"\x89NNC"
FORMAT_VERSION = 1
KIND_STORED, KIND_MODEL, KIND_LZMA, KIND_PPMD, KIND_ZPAQ = 0, 1, 2, 3, 4
# Small frames (inputs of at most SMALL_MAX_LENGTH bytes): brotli, and PPMd var. H or I whose
# kind byte also holds the model's order (KIND_PPMD_H + order, KIND_PPMD_I + order).
KIND_BROTLI, KIND_PPMD_H, KIND_PPMD_I = 5, 64, 128
KIND_NAMES = {KIND_STORED: "stored", KIND_MODEL: "model", KIND_LZMA: "lzma", KIND_PPMD: "ppmd",
              KIND_ZPAQ: "zpaq", KIND_BROTLI: "brotli", KIND_PPMD_H: "ppmd", KIND_PPMD_I: "ppmd"}
CODED_KINDS = (KIND_LZMA, KIND_PPMD, KIND_ZPAQ)
SMALL_KINDS = (KIND_BROTLI, KIND_PPMD_H, KIND_PPMD_I)
MAX_HEADER = 1 << 16
MAX_LENGTH = (1 << 63) - 1

_PREFIX = struct.Struct("<4sBB")  # magic, format version, kind
_PREFIX_TAIL = struct.Struct("<BB")
_STORED = struct.Struct("<QI")  # length, crc32 of the data
_HLEN = struct.Struct("<I")  # header length
_MODEL_TAIL = struct.Struct("<IQI")  # header crc32, payload length, payload crc32
_LZMA = struct.Struct("<QIQI")  # length, crc32 of the data, coded length, crc32 of the coded bytes
_PPMD_ORDER = struct.Struct("<B")  # a PPMd frame: _LZMA's fields, then the model order

# LZMA frames: the fallback when the model loses (small or highly repetitive inputs). Raw
# LZMA2 at xz's -9e settings, dictionary sized to the input; decoding allocates the dictionary
# and the whole output, so both are bounded.
LZMA_MAX_DICT = 64 << 20  # xz -9's dictionary
CODED_MAX_LENGTH = 1 << 30  # the longest LZMA2 or PPMd frame: the decoder holds all its output
LZMA_OVERHEAD = _PREFIX.size + _LZMA.size  # 30 bytes

# PPMd frames: the other fallback, PPMd var. I (Shkarin's PPMd8, pyppmd) with restart on a
# full model. Text the network has not learnt yet (every Canterbury text file) is PPM's
# ground. The model's memory is derived from the length and bounded, as LZMA2's dictionary is.
PPMD_MIN_MEM, PPMD_MAX_MEM = 1 << 20, 256 << 20
PPMD_ORDERS = range(2, 65)  # the orders PPMd8 accepts
PPMD_OVERHEAD = _PREFIX.size + _LZMA.size + _PPMD_ORDER.size  # 31 bytes
# PPMd8 codes at most ~2,720 bytes per coded byte (measured on 100 MB of one byte repeated):
# a header claiming more than this many is refused before decoding.
PPMD_MAX_EXPANSION = 4096
PPMD_ENCODE_STEP = 1 << 14  # bytes given to the encoder at a time (write_ppmd)

# ZPAQ frames: libzpaq's method 5 (context mixing), the strongest of the three on large text,
# xml and some binaries; a ZPAQ stream carries its own model and programs, checked and decoded
# under limits by zpaqframe.py (at most zpaqframe.ZPAQ_MAX_LENGTH bytes).
ZPAQ_OVERHEAD = _PREFIX.size + _LZMA.size  # 30 bytes, and the stream's own ~40 + its model

# Small frames: an input of a few kB codes to a few hundred bytes, where the 30 bytes of the
# frames above are 1-3 % of the archive. A small frame is the prefix (its kind byte naming the
# codec and, for PPMd, the order), the length and the coded length as LEB128 varints and the
# CRC-32 of the data: 13 to 16 bytes. The coded bytes have no checksum of their own: a
# change that leaves the output right is harmless, one that changes it fails the data's CRC.
SMALL_MAX_LENGTH = (1 << 16) - 16  # brotli's window at lgwin 16
SMALL_PPMD_ORDERS = range(2, 64)  # the kind byte holds the order below 64
_VARINT_MAX_BYTES = 3  # enough for SMALL_MAX_LENGTH
_CRC = struct.Struct("<I")
BROTLI_LGWIN = 16

STORED_OVERHEAD = _PREFIX.size + _STORED.size  # the fixed cost of a stored frame: 18 bytes
HEADER_KEYS = {"preset", "config", "length", "crc32", "fingerprint"}
# The exact engine's bits depend on nothing about the machine, so its fingerprint names only the
# engine: an archive is the same bytes wherever it is written (docs/FORMAT.md).
EXACT_FINGERPRINT = {"engine": 3}
FINGERPRINT_TYPES = {"engine": int, "nncomp": str, "torch": str, "constriction": str, "device": str,
                     "gpu": str, "cpu": str, "cpu_capability": str, "isa": str, "dtype": str,
                     "threads": int}

# The JSON header is stored as raw deflate with this preset dictionary: a typical header, so
# that a real one costs tens of bytes instead of ~550 (it matters on small files). Part of
# format version 1: never edit it, add a new one with a new version.
HEADER_ZDICT = (
    b'NVIDIA H100 80GB HBM3NVIDIA GeForce RTX 4090AMD EPYC AMD Ryzen Apple M'
    b'{"config":{"beta1":0.0,"beta2":0.9999,"bptt":20,"dtype":"bfloat16","embed":64,"eps":1e-08,'
    b'"grad_clip":1.0,"hidden":256,"layers":2,"lr":0.004,"max_streams":32,"seed":0,'
    b'"stream_len":250000,"streams":4,"vocab":256,"warmup":100},"crc32":1234567890,'
    b'"fingerprint":{"constriction":"0.5.0","cpu":"Intel(R) Xeon(R) Processor","cpu_capability":'
    b'"AVX2","device":"cuda","dtype":"float32","engine":1,"gpu":"","isa":"avx2,fma,avx512f,'
    b'avx512_bf16,avx512_vnni,amx_bf16,amx_tile","nncomp":"0.1.0","threads":2,"torch":"2.13.0+cpu"},'
    b'"length":1000000,"preset":"default"}'
)


@dataclass
class Frame:
    kind: int
    length: int  # original bytes
    crc32: int  # of the original bytes
    data: bytes = b""  # stored: the bytes themselves; model: the range-coder payload; LZMA2,
    # PPMd and ZPAQ: the coded bytes (inflate() decodes them)
    preset: str = ""
    config: ModelConfig | None = None
    fingerprint: dict | None = None
    dictionary: Dictionary | None = None  # model frames with config.vocab > 256
    symbols: int = 0  # model frames: how many symbols the payload codes
    # Model frames of a warm chain (config.warm): the CRC-32 of the frame `warm` frames before,
    # whose network this one starts from; None: it starts cold.
    warm_from: Optional[int] = None
    size: int = 0  # bytes the frame takes in the archive
    order: int = 0  # PPMd frames (and small ones): the model's order
    # A large stored frame read with stream_stored: its data in bounded pieces, read from the
    # archive as they are taken (before the next frame), the CRC checked after the last one.
    chunks: Optional[Iterator[bytes]] = None

    @property
    def warm(self) -> int:
        """W of the warm chains this frame belongs to (0: none; config.warm)."""
        return self.config.warm if self.config is not None else 0


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def base_kind(byte: int) -> int:
    """The kind a frame's kind byte names: a small PPMd frame's byte also holds its order."""
    return byte & ~63 if byte >= KIND_PPMD_H else byte


def kind_name(blob: bytes) -> str:
    """The kind of the frame that starts blob ("stored", "model", "lzma", "ppmd", "zpaq" or
    "brotli")."""
    return KIND_NAMES[base_kind(_PREFIX.unpack_from(blob)[2])]


def write_stored(data: bytes) -> bytes:
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, KIND_STORED) + _STORED.pack(len(data), crc32(data)) + data


def _lzma_filters(dict_size: int) -> list[dict]:
    return [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": dict_size}]


def _lzma_dict_size(length: int) -> int:
    """Derived from the length, not stored: no field to damage. A dictionary larger than the
    input finds nothing more and costs memory on both sides."""
    return min(LZMA_MAX_DICT, max(4096, 1 << max(length - 1, 1).bit_length()))


def write_lzma(data: bytes) -> bytes:
    """data as raw LZMA2 with xz -9e's settings (len(data) <= CODED_MAX_LENGTH)."""
    assert len(data) <= CODED_MAX_LENGTH
    coded = lzma.compress(data, format=lzma.FORMAT_RAW,
                          filters=_lzma_filters(_lzma_dict_size(len(data))))
    return _coded_frame(KIND_LZMA, data, coded)


def write_zpaq(data: bytes) -> Optional[bytes]:
    """data as a ZPAQ frame (method 5), or None where it is longer than ZPAQ_MAX_LENGTH or
    libzpaq's stream does not pass the decoder's checks and decode back to data."""
    coded = zpaqframe.encode(data)
    return None if coded is None else _coded_frame(KIND_ZPAQ, data, coded)


def _coded_frame(kind: int, data: bytes, coded: bytes, extra: bytes = b"") -> bytes:
    """An LZMA2, PPMd or ZPAQ frame of data: the prefix, _LZMA's fields, the kind's own fields
    (extra: a PPMd frame's order) and the coded bytes."""
    return (_PREFIX.pack(MAGIC, FORMAT_VERSION, kind)
            + _LZMA.pack(len(data), crc32(data), len(coded), crc32(coded)) + extra + coded)


def _inflate_lzma(coded: bytes, length: int) -> bytes:
    d = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=_lzma_filters(_lzma_dict_size(length)))
    try:
        out = d.decompress(coded, max_length=length + 1)
    except lzma.LZMAError:
        raise CorruptDataError("lzma frame does not decode") from None
    if len(out) != length or not d.eof or d.unused_data:
        raise CorruptDataError("lzma frame decodes to the wrong length")
    return out


def _ppmd_mem(length: int) -> int:
    """The PPMd model's memory for a frame of length bytes: 32 bytes per input byte (a text
    model of any order fills less), so it restarts only past 8 MiB of input."""
    return min(PPMD_MAX_MEM, max(PPMD_MIN_MEM, 32 * length))


def write_ppmd(data: bytes, order: int) -> Optional[bytes]:
    """data as a PPMd var. I frame of this order, or None where pyppmd does not decode its own
    output back to data (not seen since _deflate_ppmd writes in pieces; 0 of 60 slices of
    dickens at orders 4-24): every frame written has been decoded once."""
    assert len(data) <= CODED_MAX_LENGTH and order in PPMD_ORDERS
    coded = _deflate_ppmd(data, order)
    if not _decodes_to(data, lambda: _inflate_ppmd(coded, len(data), order)):
        return None
    return _coded_frame(KIND_PPMD, data, coded, _PPMD_ORDER.pack(order))


def _decodes_to(data: bytes, decode: Callable[[], bytes]) -> bool:
    """Whether decode() gives data back (a CorruptDataError: it does not)."""
    try:
        return decode() == data
    except CorruptDataError:
        return False


def _deflate_ppmd(data: bytes, order: int, variant: str = "I") -> bytes:
    """The PPMd stream of var. I (restarting on a full model) or var. H (7-Zip's, no end mark),
    its model freed on return (before the writer decodes it)."""
    import pyppmd
    mem = _ppmd_mem(len(data))
    enc = pyppmd.Ppmd8Encoder(order, mem, pyppmd.PPMD8_RESTORE_METHOD_RESTART) if variant == "I" \
        else pyppmd.Ppmd7Encoder(order, mem)
    # In pieces whose output fits pyppmd's first output buffer: pyppmd 1.3.1 drops a byte where
    # one call's output grows that buffer (at 32 KiB), and its decoder then fails.
    step = PPMD_ENCODE_STEP
    coded = b"".join([enc.encode(data[i:i + step]) for i in range(0, len(data), step)])
    return coded + (enc.flush() if variant == "I" else enc.flush(endmark=False))


def _inflate_ppmd(coded: bytes, length: int, order: int, variant: str = "I") -> bytes:
    import pyppmd
    mem = _ppmd_mem(length)
    dec = pyppmd.Ppmd8Decoder(order, mem, pyppmd.PPMD8_RESTORE_METHOD_RESTART) if variant == "I" \
        else pyppmd.Ppmd7Decoder(order, mem)
    try:
        out = dec.decode(coded, length) if length else b""
    except (ValueError, SystemError, pyppmd.PpmdError):  # SystemError: a NULL without an error
        raise CorruptDataError("ppmd frame does not decode") from None
    if len(out) != length:
        raise CorruptDataError("ppmd frame decodes to the wrong length")
    return bytes(out)


def _varint(n: int) -> bytes:
    """n >= 0 as LEB128: 7 bits a byte, low bits first, the high bit set on all but the last."""
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def write_small_ppmd(data: bytes, variant: str, order: int) -> Optional[bytes]:
    """data (1 to SMALL_MAX_LENGTH bytes) as a small PPMd frame of var. H or I and this order,
    or None where pyppmd does not decode its own output back to data."""
    assert 0 < len(data) <= SMALL_MAX_LENGTH and order in SMALL_PPMD_ORDERS and variant in "HI"
    kind = KIND_PPMD_H if variant == "H" else KIND_PPMD_I
    return _small_frame(kind, order, data, _deflate_ppmd(data, order, variant))


def write_small_brotli(data: bytes) -> Optional[bytes]:
    """data (1 to SMALL_MAX_LENGTH bytes) as a small brotli frame (quality 11, a 64 KiB
    window), decoded once as write_small_ppmd's (None where that fails)."""
    import brotli
    assert 0 < len(data) <= SMALL_MAX_LENGTH
    return _small_frame(KIND_BROTLI, 0, data, brotli.compress(data, quality=11, lgwin=BROTLI_LGWIN))


def _small_frame(kind: int, order: int, data: bytes, coded: bytes) -> Optional[bytes]:
    """The small frame of coded, or None where it does not decode back to data."""
    if not _decodes_to(data, lambda: _inflate_small(kind, order, coded, len(data))):
        return None
    return (_PREFIX.pack(MAGIC, FORMAT_VERSION, kind + order) + _varint(len(data))
            + _varint(len(coded)) + _CRC.pack(crc32(data)) + coded)


def _inflate_small(kind: int, order: int, coded: bytes, length: int) -> bytes:
    """A small frame's coded bytes, decoded to at most length bytes (checked to be length)."""
    if kind != KIND_BROTLI:
        return _inflate_ppmd(coded, length, order, "H" if kind == KIND_PPMD_H else "I")
    import brotli
    d = brotli.Decompressor()
    try:
        out = d.process(coded, output_buffer_limit=length + 1)
    except brotli.error:
        raise CorruptDataError("brotli frame does not decode") from None
    if len(out) != length or not d.is_finished():
        raise CorruptDataError("brotli frame decodes to the wrong length")
    return out


# The warm section of a model frame whose config.warm > 0, after the dictionary section: 1 if
# it starts from the network of the frame config.warm frames before it (0: cold), and that
# frame's CRC-32, which the decoder checks against the frame it has there.
WARM_SECTION = struct.Struct("<BI")


def warm_section(warm_from: Optional[int]) -> bytes:
    return WARM_SECTION.pack(0, 0) if warm_from is None else WARM_SECTION.pack(1, warm_from)


def write_model(length: int, checksum: int, preset: str, cfg: ModelConfig, fp: dict,
                payload: bytes) -> bytes:
    header = json.dumps(
        {"preset": preset, "config": cfg.to_dict(), "length": length, "crc32": checksum,
         "fingerprint": fp},
        sort_keys=True, separators=(",", ":")).encode()
    assert len(header) <= MAX_HEADER
    z = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=HEADER_ZDICT)
    header = z.compress(header) + z.flush()
    return b"".join([
        _PREFIX.pack(MAGIC, FORMAT_VERSION, KIND_MODEL), _HLEN.pack(len(header)), header,
        _MODEL_TAIL.pack(crc32(header), len(payload), crc32(payload)), payload,
    ])


class _Reader:
    """Reads an archive held in memory."""

    def __init__(self, buf: bytes | memoryview, pos: int = 0):
        self.buf, self.pos = memoryview(buf), pos

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.buf) - self.pos:
            raise TruncatedDataError(f"archive truncated in {what}")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return bytes(out)

    def head(self, n: int) -> bytes:
        """Up to n bytes, fewer at the end of the archive."""
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += len(out)
        return out

    def unpack(self, st: struct.Struct, what: str) -> tuple:
        return st.unpack(self.take(st.size, what))


def read_upto(f: BinaryIO, n: int) -> bytes:
    """n bytes from a stream (pipes return fewer per read), fewer only at its end."""
    parts, left = [], n
    while left:
        chunk = f.read(left)
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


_CHUNK = 1 << 20


class _StreamReader(_Reader):
    """Reads an archive from a file object, never more than one frame at a time (with
    stream_stored, never more than _CHUNK bytes of a stored frame)."""

    def __init__(self, f: BinaryIO, stream_stored: bool = False):
        self.f, self.pos, self.stream_stored = f, 0, stream_stored

    def stored_chunks(self, n: int, checksum: int) -> Iterator[bytes]:
        """n bytes of stored data in pieces of at most _CHUNK; truncation is reported when it
        happens, a checksum mismatch after the last piece."""
        self.pos += n
        crc, left = 0, n
        while left:
            chunk = self.f.read(min(left, _CHUNK))
            if not chunk:
                raise TruncatedDataError("archive truncated in stored data")
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
            yield chunk
        if crc & 0xFFFFFFFF != checksum:
            raise CorruptDataError("stored data checksum mismatch")

    def head(self, n: int) -> bytes:
        out = read_upto(self.f, n)
        self.pos += len(out)
        return out

    def take(self, n: int, what: str) -> bytes:
        # In bounded pieces: a length field is not trusted to allocate before data arrives.
        parts, left = [], n
        while left:
            chunk = self.f.read(min(left, 1 << 20))
            if not chunk:
                raise TruncatedDataError(f"archive truncated in {what}")
            parts.append(chunk)
            left -= len(chunk)
        self.pos += n
        return b"".join(parts)


def _inflate_header(raw: bytes) -> bytes:
    z = zlib.decompressobj(-15, zdict=HEADER_ZDICT)
    try:
        text = z.decompress(raw, MAX_HEADER)
    except zlib.error:
        raise CorruptDataError("frame header does not inflate") from None
    if z.unconsumed_tail or not z.eof or z.unused_data:
        raise CorruptDataError("frame header is malformed or too large")
    return text


def _parse_header(raw: bytes) -> dict:
    try:
        h = json.loads(_inflate_header(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CorruptDataError("frame header is not valid JSON") from None
    if not isinstance(h, dict) or set(h) != HEADER_KEYS:
        raise CorruptDataError("frame header has the wrong fields")
    if type(h["length"]) is not int or not 0 <= h["length"] <= MAX_LENGTH:
        raise CorruptDataError("frame header: bad length")
    if type(h["crc32"]) is not int or not 0 <= h["crc32"] < 1 << 32:
        raise CorruptDataError("frame header: bad checksum field")
    if not isinstance(h["preset"], str) or len(h["preset"]) > 64:
        raise CorruptDataError("frame header: bad preset")
    fp = h["fingerprint"]
    exact = fp == EXACT_FINGERPRINT and type(fp["engine"]) is int
    if not exact:
        _check_float_fingerprint(fp)
    try:
        h["config"] = ModelConfig.from_dict(h["config"])
    except (TypeError, ValueError) as e:
        raise LimitError(f"frame header: {e}") from None
    if h["config"].streams == 0:
        raise CorruptDataError("frame header: no stream count")
    if h["config"].exact != exact or (not exact and h["config"].dtype != fp.get("dtype")):
        raise CorruptDataError("frame header: the config disagrees with the fingerprint")
    return h


def _check_float_fingerprint(fp) -> None:
    """A float-engine fingerprint: every field, of its type."""
    if not isinstance(fp, dict) or set(fp) != FINGERPRINT_TYPES.keys() or not all(
            type(fp[k]) is t and (t is not str or len(fp[k]) <= 256) for k, t in FINGERPRINT_TYPES.items()):
        raise CorruptDataError("frame header: bad fingerprint")
    if fp["device"] not in ("cpu", "cuda"):
        raise CorruptDataError(f"frame header: unknown device {fp['device'][:20]!r}")
    if not 1 <= fp["threads"] <= 256:
        raise CorruptDataError("frame header: bad thread count")


def read_frame(buf: bytes | memoryview, pos: int, max_length: int = MAX_LENGTH) -> tuple[Frame, int]:
    """Parse and validate the frame at buf[pos:]; returns it and the position after it."""
    r = _Reader(buf, pos)
    frame = _read_frame(r, pos == 0, max_length)
    assert frame is not None  # callers stop at the end of buf
    return frame, r.pos


def read_frames(f: BinaryIO, max_length: int = MAX_LENGTH,
                stream_stored: bool = False) -> Iterator[Frame]:
    """The frames of an archive read from a stream, one at a time (bounded memory). With
    stream_stored, a stored frame over a MiB comes as `chunks`, to be consumed before the next
    frame is asked for."""
    r = _StreamReader(f, stream_stored)
    while (frame := _read_frame(r, r.pos == 0, max_length)) is not None:
        yield frame


def _read_frame(r: _Reader, first: bool, max_length: int) -> Frame | None:
    """The next frame, or None at the end of a non-empty archive."""
    start = r.pos
    frame = _parse_frame(r, first, max_length)
    if frame is not None:
        frame.size = r.pos - start
    return frame


def _parse_frame(r: _Reader, first: bool, max_length: int) -> Frame | None:
    start = r.pos
    head = r.head(len(MAGIC))
    if not head and not first:
        return None
    if head != MAGIC[:len(head)] or (not first and len(head) < len(MAGIC)):
        raise CorruptDataError("not an nncomp archive (bad magic)" if first
                               else f"trailing garbage after the archive at byte {start}")
    if len(head) < len(MAGIC):
        raise TruncatedDataError("empty input is not an nncomp archive" if not head
                                 else "archive truncated in frame prefix")
    version, kind = r.unpack(_PREFIX_TAIL, "frame prefix")
    if version != FORMAT_VERSION:
        raise CorruptDataError(f"unsupported format version {version} (this nncomp reads {FORMAT_VERSION})")
    if kind == KIND_STORED:
        length, checksum = r.unpack(_STORED, "stored frame header")
        if length > max_length:
            raise LimitError(f"frame of {length} bytes exceeds the limit of {max_length}")
        if isinstance(r, _StreamReader) and r.stream_stored and length > _CHUNK:
            return Frame(KIND_STORED, length, checksum, chunks=r.stored_chunks(length, checksum))
        data = r.take(length, "stored data")
        if crc32(data) != checksum:
            raise CorruptDataError("stored data checksum mismatch")
        return Frame(KIND_STORED, length, checksum, data)
    if base_kind(kind) in SMALL_KINDS:
        return _parse_small(r, kind, max_length)
    if kind in CODED_KINDS:
        return _parse_coded(r, kind, max_length)
    if kind != KIND_MODEL:
        raise CorruptDataError(f"unknown frame kind {kind}")
    (hlen,) = r.unpack(_HLEN, "header length")
    if hlen > MAX_HEADER:
        raise CorruptDataError(f"header length {hlen} exceeds {MAX_HEADER}")
    raw = r.take(hlen, "header")
    hcrc, plen, pcrc = r.unpack(_MODEL_TAIL, "header checksum")
    if crc32(raw) != hcrc:
        raise CorruptDataError("header checksum mismatch")
    h = _parse_header(raw)
    if h["length"] > max_length:
        raise LimitError(f"frame of {h['length']} bytes exceeds the limit of {max_length}")
    cfg, length = h["config"], h["length"]
    payload = r.take(plen, "payload")
    if crc32(payload) != pcrc:
        raise CorruptDataError("payload checksum mismatch")
    dictionary, symbols = None, length
    if cfg.text_case and cfg.vocab == 256:
        raise CorruptDataError("frame header: case folding without a text dictionary")
    if cfg.vocab > 256:
        dictionary, symbols, start = Dictionary.from_section(payload, cfg.vocab, cfg.text_case)
        payload = payload[start:]
        grow = 2 if cfg.text_case else 1  # folding case at most doubles the bytes coded
        if not (symbols <= grow * length and length <= symbols * MAX_SYMBOL_LEN):
            raise CorruptDataError("frame header: symbol count does not fit the length")
    warm_from = None
    if cfg.warm:
        if len(payload) < WARM_SECTION.size:
            raise CorruptDataError("payload too short for its warm section")
        flag, warm_crc = WARM_SECTION.unpack_from(payload)
        if flag > 1 or (flag == 0 and warm_crc):
            raise CorruptDataError("malformed warm section")
        warm_from, payload = warm_crc if flag else None, payload[WARM_SECTION.size:]
    if cfg.streams > max(1, symbols):
        raise CorruptDataError("frame header: stream count does not fit the length")
    # Every coded symbol costs at least MIN_BITS_PER_SYMBOL, so a small payload cannot
    # honestly claim a huge output: refuse before allocating for it.
    if symbols * MIN_BITS_PER_SYMBOL > 8 * len(payload) + 64:
        raise CorruptDataError("header claims more output than the payload can hold")
    return Frame(KIND_MODEL, length, h["crc32"], payload, h["preset"], cfg, h["fingerprint"],
                 dictionary, symbols, warm_from)


def _parse_coded(r: _Reader, kind: int, max_length: int) -> Frame:
    """An LZMA2, PPMd or ZPAQ frame, its fields checked before its coded bytes are read, and
    their checksum after; inflate() decodes them (listing an archive does not)."""
    name = KIND_NAMES[kind]
    length, checksum, clen, ccrc = r.unpack(_LZMA, f"{name} frame header")
    order = r.unpack(_PPMD_ORDER, "ppmd frame header")[0] if kind == KIND_PPMD else 0
    if length > max_length:
        raise LimitError(f"frame of {length} bytes exceeds the limit of {max_length}")
    if length > CODED_MAX_LENGTH:
        raise CorruptDataError(f"{name} frame: length out of bounds")
    if kind == KIND_PPMD and order not in PPMD_ORDERS:
        raise CorruptDataError("ppmd frame: order out of bounds")
    if kind == KIND_PPMD and length > PPMD_MAX_EXPANSION * (clen + 16):
        raise CorruptDataError("ppmd frame claims more output than its coded bytes can hold")
    if kind == KIND_ZPAQ:
        zpaqframe.check_claim(length, clen)
    coded = r.take(clen, f"{name} data")
    if crc32(coded) != ccrc:  # a range coder's last bytes can change without changing its output
        raise CorruptDataError(f"{name} data checksum mismatch")
    return Frame(kind, length, checksum, coded, order=order)


def _read_varint(r: _Reader, what: str) -> int:
    """A LEB128 varint of at most _VARINT_MAX_BYTES bytes, in its shortest form."""
    n = 0
    for i in range(_VARINT_MAX_BYTES):
        b = r.take(1, what)[0]
        n |= (b & 0x7F) << (7 * i)
        if b < 0x80:
            if b == 0 and i:
                raise CorruptDataError(f"{what}: a varint not in its shortest form")
            return n
    raise CorruptDataError(f"{what}: a varint too long")


def _parse_small(r: _Reader, byte: int, max_length: int) -> Frame:
    """A small frame: its fields checked before its coded bytes are read."""
    kind = base_kind(byte)
    if kind != KIND_BROTLI and byte & 63 not in SMALL_PPMD_ORDERS:
        raise CorruptDataError("ppmd frame: order out of bounds")
    what = f"{KIND_NAMES[kind]} frame header"
    length, clen = _read_varint(r, what), _read_varint(r, what)
    (checksum,) = r.unpack(_CRC, what)
    if length > max_length:
        raise LimitError(f"frame of {length} bytes exceeds the limit of {max_length}")
    if not (0 < length <= SMALL_MAX_LENGTH and 0 < clen <= SMALL_MAX_LENGTH):
        raise CorruptDataError(f"{KIND_NAMES[kind]} frame: length out of bounds")
    coded = r.take(clen, f"{KIND_NAMES[kind]} data")
    return Frame(kind, length, checksum, coded, order=byte - kind)


def inflate(frame: Frame, memlimit: int, cpu_scale: float = 1.0) -> bytes:
    """The data of a parsed LZMA2, PPMd, ZPAQ or small frame, its CRC-32 checked. The memory of
    LZMA2 and PPMd is bounded by the format (64 and 256 MiB, 2 MiB in small frames), brotli's by
    its window (at most 16 MiB), and the output by the frame's length; a ZPAQ stream's is in
    its header, checked against memlimit, and its CPU time bounded (cpu_scale times
    zpaqframe's bound: a slower machine may need more)."""
    if frame.kind in SMALL_KINDS:
        data = _inflate_small(frame.kind, frame.order, frame.data, frame.length)
    elif frame.kind == KIND_PPMD:
        data = _inflate_ppmd(frame.data, frame.length, frame.order)
    elif frame.kind == KIND_ZPAQ:
        data = zpaqframe.decode(frame.data, frame.length, memlimit, cpu_scale)
    else:
        data = _inflate_lzma(frame.data, frame.length)
    if crc32(data) != frame.crc32:
        raise CorruptDataError(f"{KIND_NAMES[frame.kind]} frame checksum mismatch")
    return data


def iter_frames(buf: bytes | memoryview, max_length: int = MAX_LENGTH) -> Iterator[Frame]:
    """Every frame of an archive; concatenated archives are one archive, as with gzip."""
    if len(buf) == 0:
        raise TruncatedDataError("empty input is not an nncomp archive")
    pos = 0
    while pos < len(buf):
        frame, pos = read_frame(buf, pos, max_length)
        yield frame
