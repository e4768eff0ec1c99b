"""Property-based fuzzing of the decoder over valid archives (issue: hostile input).

Every mutation ends in an NNCompError subclass with a one-line message, in bounded time.
Case counts: NNCOMP_FUZZ_EXAMPLES (CI default 150 per property; the slow profile,
scripts/fuzz_slow.sh, runs 10,000 per property and records the outcome in benchmarks/).
"""
from __future__ import annotations

import os
import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nncomp
from nncomp.format import container
from nncomp.errors import NNCompError
import hostile
from conftest import TEXT as SMALL_TEXT, small_text_archive

N = int(os.environ.get("NNCOMP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
TEXT = b"To be, or not to be, that is the question: " * 15
# A model frame (its own, without the fallbacks that win on this repetitive text), a stored
# one, an empty one, an LZMA one, a PPMd one, a ZPAQ one, a model frame with a text dictionary
# and small frames of brotli and PPMd var. H and I.
SMALL = [container.write_small_brotli(TEXT), container.write_small_ppmd(TEXT, "H", 6),
         container.write_small_ppmd(TEXT, "I", 8)]
ARCHIVES = [nncomp.compress(TEXT, "test", fallback=False), container.write_stored(b"short"),
            nncomp.compress(b"", "test"), container.write_lzma(TEXT),
            container.write_ppmd(TEXT, 8), container.write_zpaq(TEXT), small_text_archive(), *SMALL]
assert [a[5] for a in ARCHIVES] == [1, 0, 0, 2, 3, 4, 1, 5, 64 + 6, 128 + 8]
# What each decodes to, so that the concatenation property decodes each model frame once.
DECODED = dict(zip(ARCHIVES, [TEXT, b"short", b"", TEXT, TEXT, TEXT, SMALL_TEXT, TEXT, TEXT, TEXT]))
assert all(nncomp.decompress(a) == d for a, d in DECODED.items())
# CPU seconds for one hostile case (the test preset decodes TEXT in well under 1 s): CPU time,
# not wall time, so that a busy machine does not fail the suite.
TIME_LIMIT = 30.0


def must_fail(blob: bytes) -> NNCompError:
    t0 = time.process_time()
    with pytest.raises(NNCompError) as e:
        nncomp.decompress(blob)
    assert time.process_time() - t0 < TIME_LIMIT
    msg = str(e.value)
    assert msg and "\n" not in msg
    return e.value


archives = st.sampled_from(ARCHIVES)


@FUZZ
@given(archives, st.data())
def test_bit_flips(blob, data):
    flips = data.draw(st.lists(st.integers(0, 8 * len(blob) - 1), min_size=1, max_size=4, unique=True))
    bad = bytearray(blob)
    for f in flips:
        bad[f // 8] ^= 1 << (f % 8)
    if blob in SMALL:  # no checksum of their coded bytes: a flip there may leave the output right
        must_fail_or_decode(bytes(bad), DECODED[blob])
    else:
        must_fail(bytes(bad))


def must_fail_or_decode(blob: bytes, right: bytes) -> None:
    """An error as must_fail's, or the right data."""
    try:
        out = nncomp.decompress(blob)
    except NNCompError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert out == right


@FUZZ
@given(archives, st.data())
def test_truncation_anywhere(blob, data):
    must_fail(blob[:data.draw(st.integers(0, len(blob) - 1))])


@FUZZ
@given(archives, st.binary(min_size=1, max_size=64))
def test_appended_garbage(blob, junk):
    if junk.startswith(container.MAGIC[:len(junk)]):
        junk = b"\x00" + junk
    must_fail(blob + junk)


@settings(FUZZ, max_examples=max(10, N // 10))  # each case decodes models: the slowest property
@given(st.lists(archives, min_size=2, max_size=4))
def test_concatenated_archives_decode(parts):
    expected = b"".join(DECODED[p] for p in parts)
    assert nncomp.decompress(b"".join(parts)) == expected


HOSTILE = st.one_of(
    st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.none(), st.booleans(), st.lists(st.integers(), max_size=3), st.sampled_from([0, 1, 2, 4096, 4097]))


def _rewrite(blob: bytes, h: dict) -> bytes:
    """A header edit with every checksum recomputed, as a deliberate attacker would."""
    return hostile.join(h, hostile.split(blob)[1])


def _header(blob: bytes) -> dict:
    return hostile.split(blob)[0]


@FUZZ
@given(st.data())
def test_header_field_edits(data):
    blob = ARCHIVES[0]
    h = _header(blob)
    where = data.draw(st.sampled_from(["top", "config", "fingerprint"]))
    target = h if where == "top" else h[where]
    key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
    if data.draw(st.booleans()) and key in target:
        del target[key]
    else:
        target[key] = data.draw(HOSTILE)
    bad = _rewrite(blob, h)
    try:
        out = nncomp.decompress(bad)
    except NNCompError as e:
        assert "\n" not in str(e)
        return
    # An edit that changes nothing the decoder depends on may still decode, but only correctly.
    assert out == TEXT


def test_length_claim_beyond_the_data_found_by_the_slow_profile():
    h = _header(ARCHIVES[0])
    h["length"] = 4772750
    must_fail(_rewrite(ARCHIVES[0], h))


def test_zero_length_payload():
    blob = ARCHIVES[0]
    (hlen,) = struct.unpack_from("<I", blob, 6)
    end = 10 + hlen + 4
    bad = blob[:end] + struct.pack("<QI", 0, container.crc32(b""))
    must_fail(bad)


def test_header_length_beyond_limit():
    bad = ARCHIVES[0][:6] + struct.pack("<I", 2**31) + ARCHIVES[0][10:]
    must_fail(bad)
