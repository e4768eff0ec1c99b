"""nncomp.open() and NNCompFile: file objects as gzip.open and lzma.open give."""
from __future__ import annotations

import io
from unittest import mock

import pytest

import nncomp
from nncomp import api, frame
from nncomp.format import container

# Small blocks: the test preset codes fewer than 2,048 symbols as one stream, a step per symbol,
# so each frame here costs at most 300 steps; lines that repeat, so that its model beats storing.
DATA = b"".join(b"%d: it was the best of times, it was the worst of times\n" % (i % 5) for i in range(16))
BLOCK = 300


def _archive(data: bytes) -> bytes:
    """Model frames only: LZMA2 would win on blocks this small, and its frames run no model."""
    out = io.BytesIO()
    api.compress_stream(io.BytesIO(data), out, "test", block_size=BLOCK, fallback=False)
    return out.getvalue()


@pytest.fixture(scope="module")
def archive() -> bytes:
    blob = _archive(DATA)
    assert [f.kind for f in container.iter_frames(blob)] == [container.KIND_MODEL] * 3
    return blob


def _reader(blob: bytes, **kw) -> nncomp.NNCompFile:
    return nncomp.NNCompFile(io.BytesIO(blob), "rb", **kw)


def test_a_writer_writes_what_compress_stream_writes(archive):
    out = io.BytesIO()
    with nncomp.open(out, "wb", preset="test", block_size=BLOCK, fallback=False) as f:
        # Pieces that straddle the block boundaries, of several bytes-like types.
        for piece in (DATA[:1], bytearray(DATA[1:77]), memoryview(DATA[77:650]), DATA[650:]):
            assert f.write(piece) == len(piece)
        assert f.tell() == len(DATA)
        assert out.getvalue() == archive[:len(out.getvalue())]  # the full blocks, written already
    assert out.getvalue() == archive
    assert not out.closed  # a caller's file object is left open, as gzip and lzma do


def test_reads_of_every_kind(archive):
    with _reader(archive) as f:
        assert f.read(0) == b""
        assert f.read(10) == DATA[:10]
        assert f.peek()[:5] == DATA[10:15] and f.tell() == 10
        assert f.read1(5) == DATA[10:15]
        line = f.readline()
        assert DATA[15:].startswith(line) and line.endswith(b"\n")
        at = 15 + len(line)
        assert at < BLOCK
        assert f.read(BLOCK) == DATA[at:at + BLOCK]  # across a frame boundary
        assert f.read() == DATA[at + BLOCK:]
        assert f.read() == b"" and f.read1() == b"" and f.peek() == b""
    with _reader(archive) as f:
        assert list(f) == DATA.splitlines(keepends=True)  # lines that cross frames too
    with _reader(archive) as f:
        f.seek(BLOCK - 5)  # a line of 56 bytes across the first frame boundary
        assert f.readline(3) == DATA[BLOCK - 5:BLOCK - 2]
        assert f.readline(0) == b""
        assert f.readline() == DATA[BLOCK - 2:].split(b"\n")[0] + b"\n"
    buf = bytearray(100)
    with _reader(archive) as f:
        assert f.readinto(buf) == 100 and bytes(buf) == DATA[:100]


def test_text_mode(tmp_path):
    path = tmp_path / "t.nnc"
    text = "naïve café\n" * 50 + "no newline at the end"
    with nncomp.open(path, "wt", encoding="utf-8", preset="test") as f:
        f.write(text)
    assert nncomp.decompress(path.read_bytes()) == text.encode("utf-8")
    with nncomp.open(str(path), "rt", encoding="utf-8") as f:
        assert f.readline() == "naïve café\n"
        assert f.read() == text[len("naïve café\n"):]
    with pytest.raises(ValueError, match="text and binary"):
        nncomp.open(path, "rtb")
    with pytest.raises(ValueError, match="text mode only"):
        nncomp.open(path, "rb", encoding="utf-8")


def test_modes_paths_and_options(tmp_path):
    path = tmp_path / "a.nnc"
    with nncomp.open(path, "x", preset="test") as f:
        f.write(b"first ")
    with pytest.raises(FileExistsError):
        nncomp.open(path, "xb", preset="test")
    with nncomp.open(path, "ab", preset="test") as f:  # appended frames: one archive
        f.write(b"second")
    with nncomp.open(path) as f:
        assert f.mode == "rb" and f.name == str(path) and f.readable() and not f.writable()
        assert f.read() == b"first second"
    assert f.closed
    with nncomp.open(path, "w", preset="test") as f:  # w truncates
        assert f.mode == "wb" and f.writable() and not f.seekable()
    assert nncomp.decompress(path.read_bytes()) == b""
    assert path.read_bytes() == nncomp.compress(b"", "test")  # an empty input has its frame
    for bad in ("rw", "r+", "wb+", ""):
        with pytest.raises(ValueError, match="invalid mode"):
            nncomp.NNCompFile(path, bad)
    with pytest.raises(ValueError, match="preset: not an option for reading"):
        nncomp.open(path, "rb", preset="max")
    with pytest.raises(ValueError, match="max_params: not an option for writing"):
        nncomp.open(tmp_path / "b.nnc", "wb", max_params=10)
    with pytest.raises(ValueError, match="unknown preset"):
        nncomp.open(tmp_path / "b.nnc", "wb", preset="fastest")
    with pytest.raises(ValueError, match="block_size"):
        nncomp.open(tmp_path / "b.nnc", "wb", block_size=0)
    with pytest.raises(TypeError):
        nncomp.NNCompFile(42)
    with pytest.raises(FileNotFoundError):
        nncomp.open(tmp_path / "missing.nnc")


def test_wrong_direction_and_closed():
    w = nncomp.open(io.BytesIO(), "wb", preset="test")
    with pytest.raises(io.UnsupportedOperation):
        w.read()
    with pytest.raises(io.UnsupportedOperation):
        w.seek(0)
    w.close()
    w.close()  # twice is harmless
    r = _reader(nncomp.compress(b"abc", "test"))
    with pytest.raises(io.UnsupportedOperation):
        r.write(b"x")
    r.close()
    for call in (lambda: r.read(), lambda: r.tell(), lambda: r.peek(), lambda: w.write(b"x")):
        with pytest.raises(ValueError, match="closed file"):
            call()


def test_a_failed_block_ends_the_archive_there(tmp_path):
    """No hole: after a block fails (an error, Ctrl-C), nothing more is compressed or written."""
    real, calls = frame.encode, []

    def failing(block, *args, **kw):
        calls.append(len(block))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(block, *args, **kw)

    path = tmp_path / "f.nnc"
    with mock.patch.object(frame, "encode", failing):
        with nncomp.open(path, "wb", preset="test", block_size=BLOCK) as f:
            with pytest.raises(KeyboardInterrupt):
                f.write(DATA)
            with pytest.raises(nncomp.NNCompError, match="earlier block"):
                f.write(b"more")
    assert f.closed and calls == [BLOCK, BLOCK]  # close() compressed nothing more
    assert nncomp.decompress(path.read_bytes()) == DATA[:BLOCK]


def test_seek_skips_whole_frames_undecoded(archive):
    decoded = []
    real = frame.decode

    def counting(f, *args):
        decoded.append(f.length)
        return real(f, *args)

    with mock.patch.object(frame, "decode", counting), _reader(archive) as f:
        assert f.seekable()
        assert f.seek(2 * BLOCK + 7) == 2 * BLOCK + 7
        assert decoded == [len(DATA) - 2 * BLOCK]  # the first two frames were not run
        assert f.read(5) == DATA[2 * BLOCK + 7:2 * BLOCK + 12]
        assert f.seek(-20, io.SEEK_CUR) == 2 * BLOCK - 8  # backwards: from the start again
        assert f.read(16) == DATA[2 * BLOCK - 8:2 * BLOCK + 8]
        assert f.seek(0, io.SEEK_END) == len(DATA) and f.read() == b""
        assert f.seek(-3, io.SEEK_END) == len(DATA) - 3 and f.read() == DATA[-3:]
        assert f.seek(len(DATA) + 10) == len(DATA)  # past the end: at the end, as lzma does
        with pytest.raises(ValueError, match="negative"):
            f.seek(-1)
        with pytest.raises(ValueError, match="whence"):
            f.seek(0, 3)


def test_a_file_not_at_its_start_rewinds_to_where_the_archive_starts(archive):
    src = io.BytesIO(b"prefix" + archive)
    src.seek(6)
    with nncomp.NNCompFile(src) as f:
        assert f.read(3) == DATA[:3]
        f.seek(0)
        assert f.read(3) == DATA[:3]


def test_a_damaged_archive_stays_failed(archive):
    with _reader(archive[:-1]) as f:
        assert f.read(100) == DATA[:100]  # the first frames are whole
        with pytest.raises(nncomp.TruncatedDataError):
            f.read()
        with pytest.raises(nncomp.TruncatedDataError):  # not an end of file the second time
            f.read()
    with pytest.raises(nncomp.TruncatedDataError):
        _reader(b"").read()


def test_not_seekable_source(archive):
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes):
            self.src = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            return self.src.readinto(b)

    with nncomp.NNCompFile(Pipe(archive)) as f:
        assert not f.seekable()
        assert f.read() == DATA
        with pytest.raises(io.UnsupportedOperation):
            f.seek(0)
