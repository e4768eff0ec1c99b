"""Damaged, truncated, hostile and foreign archives: each ends in the right NNCompError."""
from __future__ import annotations

import json
import struct
import time
import zlib
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nncomp
from nncomp import limits
from nncomp.engine import loop
from nncomp.format import container, zpaqframe
from nncomp.errors import (CorruptDataError, EnvironmentMismatchError, LimitError, NNCompError,
                           TruncatedDataError)
from conftest import FLOAT_TEST, RECORDS

TEXT = b"It was the best of times, it was the worst of times. " * 40
BLOB = nncomp.compress(TEXT, "test", fallback=False)  # a model frame, though LZMA is smaller
STORED = container.write_stored(b"tiny")


def test_model_frame_is_used_for_text():
    assert nncomp.info(BLOB)[0].kind == "model"
    assert nncomp.info(STORED)[0].kind == "stored"


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_bit_flip_is_detected(data):
    blob = data.draw(st.sampled_from([BLOB, STORED]))
    pos = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    bad = bytearray(blob)
    bad[pos] ^= 1 << bit
    with pytest.raises(NNCompError):
        nncomp.decompress(bytes(bad))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_truncation_is_detected(data):
    blob = data.draw(st.sampled_from([BLOB, STORED]))
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(TruncatedDataError if cut else CorruptDataError):
        nncomp.decompress(blob[:cut])


@given(st.binary(min_size=1, max_size=200))
@settings(max_examples=50, deadline=None)
def test_garbage_is_not_an_archive(junk):
    with pytest.raises(NNCompError):
        nncomp.decompress(junk)


def test_trailing_garbage():
    with pytest.raises(CorruptDataError, match="trailing garbage"):
        nncomp.decompress(BLOB + b"junk")


def test_damage_after_a_model_frame_is_found_before_the_model_runs():
    """One-shot decompression reads the whole archive's structure first: a later frame's damage
    costs no decoding."""
    with mock.patch.object(loop, "decode", side_effect=AssertionError("the model ran")):
        with pytest.raises(CorruptDataError, match="trailing garbage"):
            nncomp.decompress(BLOB + STORED + b"junk")
        with pytest.raises(CorruptDataError, match="checksum"):
            nncomp.decompress(BLOB + STORED[:-1] + b"\x00")


def test_wrong_magic_message():
    with pytest.raises(CorruptDataError, match="not an nncomp archive"):
        nncomp.decompress(b"\x1f\x8b\x08\x00" + bytes(30))


def _edit_header(blob: bytes, edit) -> bytes:
    """Rewrite a model frame's JSON header (and its checksum) the way an attacker could."""
    (hlen,) = struct.unpack_from("<I", blob, 6)
    h = json.loads(container._inflate_header(blob[10:10 + hlen]))
    edit(h)
    z = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=container.HEADER_ZDICT)
    raw = z.compress(json.dumps(h).encode()) + z.flush()
    tail = blob[10 + hlen:]
    return (blob[:6] + struct.pack("<I", len(raw)) + raw + struct.pack("<I", container.crc32(raw))
            + tail[4:])


def test_fingerprint_mismatch_is_refused_and_named():
    """The float engine's rule (engine 2); the exact engine's fingerprint names only it."""
    def edit(h):
        h["fingerprint"]["torch"] = "1.0.0"
    bad = _edit_header(nncomp.compress(TEXT, "test", config=FLOAT_TEST, fallback=False), edit)
    with pytest.raises(EnvironmentMismatchError, match=r"torch: archive '1.0.0'"):
        nncomp.decompress(bad)
    # At the user's risk: the floats here are the same, so it still decodes.
    assert nncomp.decompress(bad, ignore_fingerprint=True) == TEXT


@pytest.mark.parametrize("field,value", [
    ("hidden", 10**6), ("layers", 1000), ("streams", 10**9), ("vocab", 7), ("dtype", "float8"),
    ("lr", float("inf")), ("bptt", 0), ("hidden", "256"), ("seed", -1),
])
def test_hostile_model_config_is_refused_before_allocation(field, value):
    def edit(h):
        h["config"][field] = value
    with pytest.raises(NNCompError):
        nncomp.decompress(_edit_header(BLOB, edit))


def test_huge_length_claim_is_refused():
    def edit(h):
        h["length"] = 10**12
    with pytest.raises(CorruptDataError, match="more output than the payload"):
        nncomp.decompress(_edit_header(BLOB, edit))


def test_max_length_limit():
    with pytest.raises(LimitError):
        nncomp.decompress(BLOB, max_length=100)
    with pytest.raises(LimitError):
        nncomp.decompress(STORED, max_length=2)


def test_lengths_beyond_4_gib_are_representable():
    def edit(h):
        h["length"] = 5 * 2**30
    # Parsing succeeds up to the payload-size bound, which 5 GiB from a small payload fails:
    with pytest.raises(CorruptDataError, match="more output"):
        nncomp.decompress(_edit_header(BLOB, edit))
    frame, end = container.read_frame(container.write_stored(b"x"), 0)
    assert frame.length == 1 and end == container.STORED_OVERHEAD + 1
    hdr = container._STORED.pack(2**40 + 3, 0)
    assert container._STORED.unpack(hdr)[0] == 2**40 + 3


def test_header_is_small():
    (hlen,) = struct.unpack_from("<I", BLOB, 6)
    assert hlen < 200


def test_header_deflate_bomb_is_refused():
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = z.compress(b" " * (1 << 22)) + z.flush()
    with pytest.raises(CorruptDataError, match="too large"):
        container._inflate_header(bomb)


def test_unsupported_version():
    bad = BLOB[:4] + b"\x09" + BLOB[5:]
    with pytest.raises(CorruptDataError, match="version 9"):
        nncomp.decompress(bad)


def test_model_header_checksum_mismatch_of_the_original():
    def edit(h):
        h["crc32"] ^= 1
    with pytest.raises(CorruptDataError, match="checksum"):
        nncomp.decompress(_edit_header(BLOB, edit))


@pytest.mark.parametrize("key,value", [("device", 7), ("device", "tpu"), ("torch", None),
                                       ("threads", "2"), ("threads", 0), ("engine", "1")])
def test_hostile_fingerprint_fields(key, value):
    def edit(h):
        h["fingerprint"][key] = value
    with pytest.raises(CorruptDataError, match="fingerprint|device|thread"):
        nncomp.decompress(_edit_header(BLOB, edit))


def _field_editor(good: bytes):
    """good (an LZMA or PPMd frame) with fields of its header replaced, checksums not fixed."""
    head, fields = container._PREFIX.size, container._LZMA.size

    def edit(order: int | None = None, **kw) -> bytes:
        length, crc, clen, ccrc = container._LZMA.unpack_from(good, head)
        f = {"length": length, "crc": crc, "clen": clen, "ccrc": ccrc, **kw}
        tail = good[head + fields:]  # a PPMd frame's starts with its order
        if order is not None:
            tail = bytes([order]) + tail[1:]
        return good[:head] + container._LZMA.pack(f["length"], f["crc"], f["clen"], f["ccrc"]) + tail
    return edit


def _refuses_edits(good: bytes, data: bytes, more: list) -> None:
    """Every edit of good's header fields, and `more`, ends in its error; good decodes."""
    edit = _field_editor(good)
    assert nncomp.decompress(good) == data
    for bad, err in [(edit(length=len(data) + 1), CorruptDataError),
                     (edit(length=len(data) - 1), CorruptDataError),
                     (edit(length=1 << 40), CorruptDataError),
                     (edit(crc=0), CorruptDataError),
                     (edit(ccrc=0), CorruptDataError),
                     (edit(clen=1 << 40), TruncatedDataError),
                     (good[:-3], TruncatedDataError), *more]:
        with pytest.raises(err):
            nncomp.decompress(bad)
    with pytest.raises(LimitError):
        nncomp.decompress(good, max_length=10)


def test_hostile_ppmd_frames():
    data = b"ppmd frame " * 100
    good = container.write_ppmd(data, 8)
    assert good is not None
    head = container._PREFIX.size
    assert len(good) == container.PPMD_OVERHEAD + container._LZMA.unpack_from(good, head)[2]
    edit = _field_editor(good)
    _refuses_edits(good, data, [(edit(length=1 << 20), CorruptDataError),  # more than it holds
                                (edit(order=1), CorruptDataError),
                                (edit(order=65), CorruptDataError),
                                (edit(order=7), CorruptDataError)])  # another model's output
    # Coded bytes of another stream (their checksum fixed): an error, never a crash or a hang.
    coded = good[container.PPMD_OVERHEAD:]
    for junk in (bytes(len(coded)), b"\xff" * len(coded), bytes(reversed(coded))):
        with pytest.raises(CorruptDataError):
            nncomp.decompress(edit(ccrc=container.crc32(junk))[:-len(coded)] + junk)


def test_hostile_lzma_frames():
    data = b"lzma frame " * 100
    good = container.write_lzma(data)
    head = container._PREFIX.size
    assert len(good) == container.LZMA_OVERHEAD + container._LZMA.unpack_from(good, head)[2]
    _refuses_edits(good, data, [(_field_editor(good)(length=1 << 14), CorruptDataError)])


def _small(kind: int, length: int, clen: int, crc: int, coded: bytes) -> bytes:
    """A small frame from its fields, as a writer (or an attacker) would lay them out."""
    return (container._PREFIX.pack(container.MAGIC, 1, kind) + container._varint(length)
            + container._varint(clen) + struct.pack("<I", crc) + coded)


def _longer(varint: bytes) -> bytes:
    """The same number as a varint one byte longer (not its shortest form)."""
    return varint[:-1] + bytes([varint[-1] | 0x80, 0])


@pytest.mark.parametrize("variant,order", [("H", 6), ("I", 8), ("B", 0)])
def test_small_frames(variant, order):
    """A small frame is 13 to 16 bytes of frame around its codec's stream (the prefix, two
    varints, a CRC-32); damaged fields, lengths and coded bytes end in errors, never in a
    crash, a hang or more output than the frame says."""
    data = b"".join(b"%d small frames, %d kinds; " % (i, i * i % 97) for i in range(300))
    good = container.write_small_brotli(data) if variant == "B" else \
        container.write_small_ppmd(data, variant, order)
    assert good is not None and nncomp.decompress(good) == data
    kind, n = good[5], len(data)
    clen = next(c for v in (1, 2, 3) if len(container._varint(
        c := len(good) - 10 - len(container._varint(n)) - v)) == v)
    coded = good[-clen:]
    assert good == _small(kind, n, clen, container.crc32(data), coded)
    assert [f.kind for f in nncomp.info(good)] == ["brotli" if variant == "B" else "ppmd"]
    crc = container.crc32(data)
    cases = [
        (_small(kind, n + 1, len(coded), crc, coded), CorruptDataError),
        (_small(kind, n - 1, len(coded), crc, coded), CorruptDataError),
        (_small(kind, n, len(coded), crc ^ 1, coded), CorruptDataError),
        (_small(kind, container.SMALL_MAX_LENGTH + 1, len(coded), crc, coded), CorruptDataError),
        (_small(kind, 0, len(coded), crc, coded), CorruptDataError),
        (_small(kind, n, len(coded) + 1, crc, coded), TruncatedDataError),
        (good[:6] + b"\x80\x80\x80\x01" + good[8:], CorruptDataError),  # a varint too long
        (good[:6] + _longer(container._varint(n)) + good[6 + len(container._varint(n)):],
         CorruptDataError),
        (good[:-4 - clen - len(container._varint(clen))] + _longer(container._varint(clen))
         + good[-4 - clen:], CorruptDataError),  # not the shortest form
        (good[:-2], TruncatedDataError),
        *[(_small(kind, n, len(junk), crc, junk), CorruptDataError)
          for junk in (bytes(len(coded)), b"\xff" * len(coded), bytes(reversed(coded)))]]
    if variant != "B":  # orders out of bounds, and another model's output
        base = kind - order
        cases += [(good[:5] + bytes([base + o]) + good[6:], CorruptDataError) for o in (0, 1, 7)]
    for bad, err in cases:
        with pytest.raises(err):
            nncomp.decompress(bad)
    with pytest.raises(LimitError):
        nncomp.decompress(good, max_length=10)
    # The coded bytes less their last: a range coder's flush may hold more than the decoder
    # reads, so this may still decode, but then right.
    try:
        assert nncomp.decompress(_small(kind, n, clen - 1, crc, coded[:-1])) == data
    except CorruptDataError:
        pass


def test_small_frame_kinds_beyond_the_defined_ones():
    good = container.write_small_brotli(b"kinds " * 50)
    for kind in (6, 63, 192, 255):
        with pytest.raises(CorruptDataError, match="unknown frame kind"):
            nncomp.decompress(good[:5] + bytes([kind]) + good[6:])


def test_a_small_frame_decodes_no_more_than_it_claims():
    """brotli expands a few bytes into megabytes: a frame claiming 100 bytes of such a stream
    is refused after 101, not after inflating it all."""
    import brotli
    bomb = brotli.compress(bytes(50 << 20), quality=5)
    assert len(bomb) < 100
    with pytest.raises(CorruptDataError, match="wrong length"):
        nncomp.decompress(_small(container.KIND_BROTLI, 100, len(bomb), container.crc32(bytes(100)),
                                 bomb))


@pytest.fixture(scope="module")
def zpaq_good() -> bytes:
    good = container.write_zpaq(RECORDS)
    assert good is not None and nncomp.decompress(good) == RECORDS
    return good


def _with_stream(good: bytes, stream: bytes) -> bytes:
    """good (a ZPAQ frame) carrying another stream, its length and checksum fixed."""
    edit = _field_editor(good)
    return edit(clen=len(stream), ccrc=container.crc32(stream))[:container.ZPAQ_OVERHEAD] + stream


def test_hostile_zpaq_frame_fields(zpaq_good):
    edit = _field_editor(zpaq_good)
    _refuses_edits(zpaq_good, RECORDS, [(edit(length=zpaqframe.ZPAQ_MAX_LENGTH + 1), CorruptDataError),
                                        (edit(length=1 << 24), CorruptDataError)])  # over 1024x
    # libzpaq's method 5 asks 86 MiB here: over a 128 MiB memory limit with the child's own
    with pytest.raises(LimitError, match="memory limit"):
        nncomp.Decompressor(memlimit=128 << 20).decompress(zpaq_good)
    assert [f.kind for f in nncomp.info(zpaq_good)] == ["zpaq"]  # listing decodes nothing


def _hcomp_at(stream: bytes) -> int:
    """Where a stream's HCOMP program starts (after its COMP list and its end byte)."""
    cp = len(zpaqframe.TAG) + 3 + 4 + 5
    for _ in range(stream[cp - 1]):
        cp += zpaqframe.COMPSIZE[stream[cp]]
    return cp + 1


def test_hostile_zpaq_streams(zpaq_good):
    """Streams no libzpaq writes at method 5, inside frames with valid checksums: each refused
    before a child process runs (its header) or ended by the child's error, in a line."""
    stream = zpaq_good[container.ZPAQ_OVERHEAD:]
    h = len(zpaqframe.TAG) + 3 + 4  # hh hm ph pm n
    hcomp = _hcomp_at(stream)

    def at(i: int, b: bytes, s: bytes = stream) -> bytes:
        return s[:i] + b + s[i + len(b):]
    cases = [
        (at(h, b"\x21"), CorruptDataError, "too large"),  # H of 2^33 words
        (at(h, b"\x1e"), LimitError, "MiB"),  # H of 2^30 words: 4 GiB
        (at(h + 4, b"\x00"), CorruptDataError, "no model"),
        (at(h + 5, b"\x0a"), CorruptDataError, "component"),
        (at(hcomp, bytes([zpaqframe.JMP, 0xfe])), CorruptDataError, "backwards"),  # a loop
        (at(hcomp, bytes([zpaqframe.LJ, 0, 0])), CorruptDataError, "backwards"),
        (at(len(zpaqframe.TAG) + 3, b"\x03"), CorruptDataError, "level"),
        (b"zPQ" + stream[len(zpaqframe.TAG) + 3:], CorruptDataError, "block"),
        (stream + stream, CorruptDataError, "end of block"),  # a second block
        (stream + b"\x00", CorruptDataError, "end of block"),
        (stream[:-1], CorruptDataError, "end of block"),
        (at(hcomp - 1, b"\x07"), CorruptDataError, "COMP end"),
    ]
    seg = stream.index(b"\x01\x00", hcomp)  # a segment with no file name, then its comment
    coded = stream.index(b"\x00", seg + 2) + 2
    end = stream.rindex(b"\x00\x00\x00\x00")
    cases += [(at(seg + 1, b"n"), CorruptDataError, "segment"),  # a named segment
              (at(coded, bytes(end - coded)), CorruptDataError, "corrupted"),
              (at(coded, bytes(reversed(stream[coded:end]))), CorruptDataError, "post processing")]
    for bad, err, words in cases:
        with pytest.raises(err, match=words) as e:
            nncomp.decompress(_with_stream(zpaq_good, bad))
        assert "\n" not in str(e.value)


def test_zpaq_decoder_is_bounded(zpaq_good, monkeypatch):
    """What the header does not show runs in a child process under a CPU-time and an
    address-space limit: coded bytes of 0xff keep libzpaq running without end (what a looping
    PCOMP program inside the coded data would do too), a child allocating past its share."""
    stream = zpaq_good[container.ZPAQ_OVERHEAD:]
    coded = stream.index(b"\x00", stream.index(b"\x01\x00", _hcomp_at(stream)) + 2) + 2
    end = stream.rindex(b"\x00\x00\x00\x00")
    spins = _with_stream(zpaq_good, stream[:coded] + b"\xff" * (end - coded) + stream[end:])
    d = nncomp.Decompressor(max_work=limits.DEFAULT_MAX_WORK / 10)  # a tenth of the time
    assert d.decompress(zpaq_good) == RECORDS
    t0 = time.monotonic()
    with pytest.raises(CorruptDataError, match="within its bound of 1 CPU seconds"):
        d.decompress(spins)
    assert time.monotonic() - t0 < 30
    monkeypatch.setattr(zpaqframe, "_CHILD", "b = bytearray(1 << 32)\n")  # 4 GiB: over its share
    with pytest.raises(CorruptDataError, match="MemoryError"):
        nncomp.decompress(zpaq_good)
