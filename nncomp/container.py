"""The .nnc file format (docs/FORMAT.md): a sequence of frames, each stored or model-coded.

Everything read from a file is validated before it is acted on; nothing here unpickles or
evaluates. Integers are little-endian.
"""
from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from typing import Iterator

from .coder import MIN_BITS_PER_SYMBOL
from .errors import CorruptDataError, LimitError, TruncatedDataError
from .model import LSTMConfig

MAGIC = b"\x89NNC"
FORMAT_VERSION = 1
KIND_STORED, KIND_MODEL = 0, 1
MAX_HEADER = 1 << 16
MAX_LENGTH = (1 << 63) - 1

_PREFIX = struct.Struct("<4sBB")  # magic, format version, kind
_STORED = struct.Struct("<QI")  # length, crc32 of the data
_HLEN = struct.Struct("<I")  # header length
_MODEL_TAIL = struct.Struct("<IQI")  # header crc32, payload length, payload crc32

STORED_OVERHEAD = _PREFIX.size + _STORED.size  # the fixed cost of a stored frame: 18 bytes
HEADER_KEYS = {"preset", "config", "length", "crc32", "fingerprint"}


@dataclass
class Frame:
    kind: int
    length: int  # original bytes
    crc32: int  # of the original bytes
    data: bytes = b""  # stored: the bytes themselves; model: the range-coder payload
    preset: str = ""
    config: LSTMConfig | None = None
    fingerprint: dict | None = None


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def write_stored(data: bytes) -> bytes:
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, KIND_STORED) + _STORED.pack(len(data), crc32(data)) + data


def write_model(length: int, checksum: int, preset: str, cfg: LSTMConfig, fp: dict,
                payload: bytes) -> bytes:
    header = json.dumps(
        {"preset": preset, "config": cfg.to_dict(), "length": length, "crc32": checksum,
         "fingerprint": fp},
        sort_keys=True, separators=(",", ":")).encode()
    assert len(header) <= MAX_HEADER
    return b"".join([
        _PREFIX.pack(MAGIC, FORMAT_VERSION, KIND_MODEL), _HLEN.pack(len(header)), header,
        _MODEL_TAIL.pack(crc32(header), len(payload), crc32(payload)), payload,
    ])


class _Reader:
    def __init__(self, buf: bytes | memoryview, pos: int = 0):
        self.buf, self.pos = memoryview(buf), pos

    def take(self, n: int, what: str) -> memoryview:
        if n > len(self.buf) - self.pos:
            raise TruncatedDataError(f"archive truncated in {what}")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, st: struct.Struct, what: str) -> tuple:
        return st.unpack(self.take(st.size, what))


def _parse_header(raw: bytes) -> dict:
    try:
        h = json.loads(raw.decode("utf-8"))
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
    if not isinstance(fp, dict) or not all(isinstance(v, (str, int)) for v in fp.values()):
        raise CorruptDataError("frame header: bad fingerprint")
    if type(fp.get("threads")) is not int or not 1 <= fp["threads"] <= 1024:
        raise CorruptDataError("frame header: bad thread count")
    try:
        h["config"] = LSTMConfig.from_dict(h["config"])
    except (TypeError, ValueError) as e:
        raise LimitError(f"frame header: {e}") from None
    if h["config"].streams == 0 or h["config"].streams > max(1, h["length"]):
        raise CorruptDataError("frame header: stream count does not fit the length")
    if h["config"].dtype != fp.get("dtype"):
        raise CorruptDataError("frame header: dtype disagrees with the fingerprint")
    return h


def read_frame(buf: bytes | memoryview, pos: int, max_length: int = MAX_LENGTH) -> tuple[Frame, int]:
    """Parse and validate the frame at buf[pos:]; returns it and the position after it."""
    r = _Reader(buf, pos)
    head = bytes(r.buf[pos:pos + len(MAGIC)])
    if head != MAGIC[:len(head)] or (pos > 0 and len(head) < len(MAGIC)):
        raise CorruptDataError("not an nncomp archive (bad magic)" if pos == 0
                               else f"trailing garbage after the archive at byte {pos}")
    _, version, kind = r.unpack(_PREFIX, "frame prefix")
    if version != FORMAT_VERSION:
        raise CorruptDataError(f"unsupported format version {version} (this nncomp reads {FORMAT_VERSION})")
    if kind == KIND_STORED:
        length, checksum = r.unpack(_STORED, "stored frame header")
        if length > max_length:
            raise LimitError(f"frame of {length} bytes exceeds the limit of {max_length}")
        data = bytes(r.take(length, "stored data"))
        if crc32(data) != checksum:
            raise CorruptDataError("stored data checksum mismatch")
        return Frame(KIND_STORED, length, checksum, data), r.pos
    if kind != KIND_MODEL:
        raise CorruptDataError(f"unknown frame kind {kind}")
    (hlen,) = r.unpack(_HLEN, "header length")
    if hlen > MAX_HEADER:
        raise CorruptDataError(f"header length {hlen} exceeds {MAX_HEADER}")
    raw = bytes(r.take(hlen, "header"))
    hcrc, plen, pcrc = r.unpack(_MODEL_TAIL, "header checksum")
    if crc32(raw) != hcrc:
        raise CorruptDataError("header checksum mismatch")
    h = _parse_header(raw)
    if h["length"] > max_length:
        raise LimitError(f"frame of {h['length']} bytes exceeds the limit of {max_length}")
    # Every coded symbol costs at least MIN_BITS_PER_SYMBOL, so a small payload cannot
    # honestly claim a huge output: refuse before allocating for it.
    if h["length"] * MIN_BITS_PER_SYMBOL > 8 * plen + 64:
        raise CorruptDataError("header claims more output than the payload can hold")
    payload = bytes(r.take(plen, "payload"))
    if crc32(payload) != pcrc:
        raise CorruptDataError("payload checksum mismatch")
    return Frame(KIND_MODEL, h["length"], h["crc32"], payload, h["preset"], h["config"],
                 h["fingerprint"]), r.pos


def iter_frames(buf: bytes | memoryview, max_length: int = MAX_LENGTH) -> Iterator[Frame]:
    """Every frame of an archive; concatenated archives are one archive, as with gzip."""
    if len(buf) == 0:
        raise TruncatedDataError("empty input is not an nncomp archive")
    pos = 0
    while pos < len(buf):
        frame, pos = read_frame(buf, pos, max_length)
        yield frame
