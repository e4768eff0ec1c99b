"""Warm chains (Compressor(warm=W), --warm W): frame k starts from the network frame k − W ended
with. The archive is the same bytes serially and with workers, every way of reading it decodes
it, and a frame whose predecessor is missing is an error, never garbage."""
from __future__ import annotations

import dataclasses
import io

import pytest

import nncomp
from nncomp.format import container

from conftest import ALICE, ROOT, run_cli

DATA = ROOT / "tests" / "data"

TEXT = ALICE.read_bytes()[:6000]
BLOCK = 1000  # 6 frames


def _archive(data: bytes, **options) -> bytes:
    dst = io.BytesIO()
    nncomp.compress_stream(io.BytesIO(data), dst, "test", fallback=False, block_size=BLOCK,
                           **options)
    return dst.getvalue()


@pytest.fixture(scope="module")
def warm2() -> bytes:
    return _archive(TEXT, warm=2)


def test_frames_start_from_the_frame_w_before(warm2):
    frames = list(container.iter_frames(warm2))
    assert len(frames) == 6 and all(f.config is not None and f.config.warm == 2 for f in frames)
    assert [f.warm_from for f in frames[:2]] == [None, None]  # the first W start cold
    assert [f.warm_from for f in frames[2:]] == [f.crc32 for f in frames[:-2]]
    assert [f.warm_start for f in nncomp.info(warm2)] == [False, False] + [True] * 4
    assert all(f.config.warm_context for f in frames)  # type: ignore[union-attr]


def test_an_archive_written_before_warm_context_decodes_by_its_rules():
    """Warm chains of nncomp 0.2.0 before warm_context (tests/data, written by 05c3581): their
    warm frames start with empty context statistics, and still decode. Today's frames, which
    start from their predecessor's statistics, are smaller on the same input."""
    old = (DATA / "alice-3000-test-warm1-0.2.0.nnc").read_bytes()
    assert nncomp.decompress(old) == ALICE.read_bytes()[:3000]
    frames = list(container.iter_frames(old))
    assert [f.warm_from is not None for f in frames] == [False, True, True]
    assert not any(f.config.warm_context for f in frames)  # type: ignore[union-attr]
    now = _archive(ALICE.read_bytes()[:3000], warm=1)
    assert nncomp.decompress(now) == ALICE.read_bytes()[:3000]
    old_sizes, sizes = ([len(f.data) for f in container.iter_frames(a)][1:] for a in (old, now))
    assert all(n < o for n, o in zip(sizes, old_sizes)), (sizes, old_sizes)
    with pytest.raises(ValueError, match="warm_context"):
        dataclasses.replace(frames[0].config, warm=0, warm_context=True).check()  # type: ignore[arg-type]


def test_warm_frames_are_smaller_than_cold_ones(warm2):
    cold = _archive(TEXT)
    assert nncomp.decompress(cold) == TEXT
    # The first W frames code the same bits as cold ones (their headers say warm: 2).
    assert [bytes(f.data) for f in list(container.iter_frames(warm2))[:2]] == \
        [bytes(f.data) for f in list(container.iter_frames(cold))[:2]]
    sizes = [f.compressed for f in nncomp.info(warm2)]
    cold_sizes = [f.compressed for f in nncomp.info(cold)]
    assert sum(sizes[2:]) < 0.97 * sum(cold_sizes[2:]), (sizes, cold_sizes)


def test_every_reader_decodes_a_warm_archive(warm2):
    assert nncomp.decompress(warm2) == TEXT
    out = io.BytesIO()
    assert nncomp.decompress_stream(io.BytesIO(warm2), out) == len(TEXT) and out.getvalue() == TEXT
    d = nncomp.Decompressor().decompressobj()
    assert b"".join(d.decompress(warm2[i:i + 999]) for i in range(0, len(warm2), 999)) == TEXT
    with nncomp.open(io.BytesIO(warm2)) as f:
        f.seek(5 * BLOCK + 17)  # frames 0-4 are decoded (their chains go on), not returned
        assert f.read(100) == TEXT[5 * BLOCK + 17:5 * BLOCK + 117]
        f.seek(3)  # backwards: from the first frame again
        assert f.read() == TEXT[3:]


def test_a_frame_without_its_predecessor_is_an_error(warm2):
    frames = list(container.iter_frames(warm2))
    tail = b"".join(bytes(warm2[sum(f.size for f in frames[:i]):][:frames[i].size])
                    for i in range(1, len(frames)))
    assert len(tail) == len(warm2) - frames[0].size
    # Frame 2 of what is left starts from frame 1 of the archive, and finds frame 2 there.
    with pytest.raises(nncomp.CorruptDataError, match="warm frame"):
        nncomp.decompress(tail)
    with pytest.raises(nncomp.CorruptDataError, match="warm frame"):
        nncomp.decompress(tail, threads=2)
    # A stored frame put in the chain's place: the frame after it has no network to start from.
    stored = container.write_stored(TEXT[:BLOCK])
    with pytest.raises(nncomp.CorruptDataError, match="warm frame"):
        nncomp.decompress(stored + tail)


def test_a_predecessor_of_another_shape_is_refused(warm2):
    """A well-formed archive whose warm frame names its predecessor's CRC but has another
    network (a wider LSTM here) is refused as damage, never fed the wrong weights."""
    import hostile
    frames = list(container.iter_frames(warm2))
    at = [sum(f.size for f in frames[:i]) for i in range(len(frames) + 1)]
    h, payload = hostile.split(warm2[at[2]:at[3]])
    wide = hostile.join(hostile._with(h, config__hidden=32), payload)
    with pytest.raises(nncomp.CorruptDataError, match="warm frame"):
        nncomp.decompress(warm2[:at[2]] + wide + warm2[at[3]:])


def test_warm_needs_the_exact_engine_and_no_checkpoint(tmp_path):
    from conftest import FLOAT_TEST
    with pytest.raises(ValueError, match="exact engine"):
        nncomp.Compressor("test", config=FLOAT_TEST, warm=2)
    with pytest.raises(ValueError, match="checkpoint"):
        nncomp.compress_stream(io.BytesIO(TEXT), io.BytesIO(), "test", warm=2,
                               checkpoint=nncomp.Checkpoint(str(tmp_path / "ck")))
    src = tmp_path / "a"
    src.write_bytes(TEXT)
    p = run_cli(["-p", "test", "--warm", "2", "--checkpoint", str(tmp_path / "ck"), str(src)])
    assert p.returncode == 1 and b"--warm" in p.stderr


def test_the_listing_says_where_each_frame_starts(warm2, tmp_path):
    (tmp_path / "a.nnc").write_bytes(warm2)
    p = run_cli(["-lv", str(tmp_path / "a.nnc")])
    rows = p.stdout.decode().splitlines()[2:]
    assert [r.rsplit("warm: ", 1)[1] for r in rows] == ["cold", "cold"] + [
        f"from frame {i}" for i in range(4)]


def test_workers_write_and_read_the_same_archive(warm2):
    """The CLI with 2 processes (one per chain) writes the serial archive; 3 processes for 2
    chains decode it (a frame waits for the one it starts from)."""
    p = run_cli(["-p", "test", "--no-fallback", "-B", str(BLOCK), "--warm", "2", "-T", "2", "-c"],
                input=TEXT)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == warm2
    out = io.BytesIO()
    nncomp.decompress_stream(io.BytesIO(warm2), out, threads=3, workers=3)
    assert out.getvalue() == TEXT
