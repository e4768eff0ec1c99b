"""The options objects: one Compressor / Decompressor serves the functions, the file objects,
the CLI and the benchmark, and gives what the keyword forms give."""
from __future__ import annotations

import io

import pytest

import nncomp
from nncomp.system.sizes import parse_size

DATA = b"the options are held once, then every call uses them. " * 40


def test_a_compressor_gives_what_the_functions_give():
    c = nncomp.Compressor("test", threads=1, fallback=False)
    blob = c.compress(DATA)
    assert blob == nncomp.compress(DATA, "test", threads=1, fallback=False)
    assert nncomp.Decompressor().decompress(blob) == DATA == nncomp.decompress(blob)
    src, dst = io.BytesIO(DATA), io.BytesIO()
    info = nncomp.Compressor("test", block_size=700, threads=1).compress_stream(src, dst)
    assert info.n == len(DATA) and info.compressed == len(dst.getvalue())
    assert dst.getvalue() == _streamed(block_size=700, threads=1)
    assert len(nncomp.info(dst.getvalue())) == -(-len(DATA) // 700)


def _streamed(**options) -> bytes:
    dst = io.BytesIO()
    nncomp.compress_stream(io.BytesIO(DATA), dst, "test", **options)
    return dst.getvalue()


def test_a_file_object_takes_a_compressor(tmp_path):
    c = nncomp.Compressor("test", block_size=900, threads=1)
    with nncomp.open(tmp_path / "a.nnc", "wb", compressor=c) as f:
        f.write(DATA)
    assert (tmp_path / "a.nnc").read_bytes() == _streamed(block_size=900, threads=1)
    with nncomp.open(tmp_path / "a.nnc", "rb", decompressor=nncomp.Decompressor(max_params=10**6)) as f:
        assert f.read() == DATA
    with pytest.raises(ValueError, match="not both"):
        nncomp.open(tmp_path / "b.nnc", "wb", compressor=c, preset="fast")
    with pytest.raises(ValueError, match="not an option for reading"):
        nncomp.open(tmp_path / "a.nnc", "rb", compressor=c)


@pytest.mark.parametrize("bad", [{"preset": "nope"}, {"block_size": 0}, {"device": "tpu"},
                                 {"colour": "red"}])
def test_wrong_options_fail_when_built(bad):
    with pytest.raises((ValueError, TypeError)):
        nncomp.Compressor(**bad)


def test_the_limits_of_a_decompressor_apply():
    blob = nncomp.compress(DATA, "test", fallback=False)
    with pytest.raises(nncomp.LimitError):
        nncomp.Decompressor(max_params=10).decompress(blob)
    with pytest.raises(nncomp.LimitError):
        nncomp.Decompressor(max_length=10).decompress(blob)


@pytest.mark.parametrize("text, n", [("65536", 65536), ("64k", 64_000), ("64K", 64_000),
                                     ("32Mi", 32 << 20), ("1MiB", 1 << 20), ("2G", 2 * 10**9),
                                     ("1gi", 1 << 30)])
def test_one_size_grammar(text, n):
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "0", "-1", "1.5M", "1Q", "k", "1 M M"])
def test_sizes_that_are_not(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_the_corpus_prefix_takes_the_same_grammar():
    from nncomp.bench import corpora
    assert corpora.parse_size("1Mi") == 1 << 20
    with pytest.raises(corpora.CorpusError):
        corpora.parse_size("1.5M")


def test_the_public_names_are_listed():
    """help(nncomp) and dir(nncomp) show the lazy names too."""
    names = dir(nncomp)
    assert {"compress", "Compressor", "Decompressor", "open", "NNCompFile"} <= set(names)
    assert all(hasattr(nncomp, n) for n in nncomp.__all__)


def test_incremental_objects_as_lzma_has_them():
    c = nncomp.Compressor("test", block_size=1000, fallback=False, threads=1)
    o = c.compressobj()
    parts = [o.compress(DATA[i:i + 333]) for i in range(0, len(DATA), 333)] + [o.flush()]
    blob = b"".join(parts)
    ref = io.BytesIO()
    c.compress_stream(io.BytesIO(DATA), ref)
    assert blob == ref.getvalue() and parts[0] == b""  # frames come out as blocks complete
    with pytest.raises(ValueError):
        o.compress(b"more")
    d = nncomp.Decompressor().decompressobj()
    out = b""
    for i in range(0, len(blob), 100):
        out += d.decompress(blob[i:i + 100], max_length=50)
        assert len(out) <= 50 * (i // 100 + 1)
    while not d.needs_input:
        out += d.decompress(b"", max_length=50)
    assert out == DATA and d.eof and d.unused_data == b""
    empty = nncomp.Compressor("test").compressobj()
    assert nncomp.decompress(empty.flush()) == b""
    with pytest.raises(nncomp.CorruptDataError):
        nncomp.Decompressor().decompressobj().decompress(b"not an archive")


def test_help_lists_the_api_without_importing_torch():
    import subprocess
    import sys
    code = ("import pydoc, sys, nncomp\nt = pydoc.render_doc(nncomp, renderer=pydoc.plaintext)\n"
            "print('Compressor' in t, 'compress_stream' in t, 'NNCompFile' in t, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.split() == ["True", "True", "True", "False"], out.stderr
