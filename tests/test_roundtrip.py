"""Round trips through the Python API with the tiny `test` preset."""
from __future__ import annotations

import dataclasses
import os
import platform
import random
import threading
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nncomp
from nncomp import api, frame, presets
from nncomp.engine import determinism, loop, streams
from nncomp.format import coder, container, rangecoder
from nncomp.config import ModelConfig
from nncomp.net import build
from conftest import ALICE, FLOAT_TEST, RECORDS, ROOT, needs_bf16, shared_file

DATA = ROOT / "tests" / "data"


def rt(data: bytes, preset: str = "test", **kw) -> bytes:
    """Round trip through the model (the LZMA fallback would win on most inputs of the tiny
    test preset, and is tested on its own)."""
    kw.setdefault("fallback", False)
    blob = nncomp.compress(data, preset, **kw)
    assert nncomp.decompress(blob) == data
    return blob


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data):
    rt(data)


@given(st.integers(0, 3000), st.integers(1, 40))
@settings(max_examples=40, deadline=None)
def test_stream_split_is_a_bijection(n, B):
    data = random.Random(n).randbytes(n)
    tok = streams.to_streams(data, B)
    assert tok.shape[1] == B and (tok[0] == 0).all()
    assert streams.from_streams(tok, n).tobytes() == data
    lens = streams.segment_lengths(n, B)
    assert lens.sum() == n and lens.max() - lens.min() <= 1 and (lens[:-1] >= lens[1:]).all()


@pytest.mark.parametrize("data", [
    b"", b"\x00", b"a", b"ab", bytes(range(256)), bytes(range(256)) * 7, b"\xff" * 5000,
    b"abc" * 3001,
], ids=["empty", "zero", "one", "two", "every-byte", "every-byte-x7", "repeated", "periodic"])
def test_edge_cases(data):
    blob = rt(data)
    assert len(blob) <= len(data) + container.STORED_OVERHEAD


def test_repetitive_data_shrinks():
    data = b"\xff" * 5000
    assert len(rt(data)) < 500


def test_random_bytes_grow_by_at_most_the_fixed_header():
    data = os.urandom(1 << 20)
    blob = rt(data)
    assert len(blob) == len(data) + container.STORED_OVERHEAD
    # Also when the model runs (too small for the shortcut): the stored fallback catches it.
    small = os.urandom(3000)
    blob, info = api.compress_info(small, "test")
    assert info.stored and info.model_bits > 0 and len(blob) == len(small) + container.STORED_OVERHEAD
    assert nncomp.decompress(blob) == small


def test_text_compresses_and_streams_adapt():
    data = ALICE.read_bytes()[:30000]
    blob, info = api.compress_info(data, "test", fallback=False)
    assert info.config.streams == presets.get("test").max_streams
    assert not info.stored and len(blob) < 0.7 * len(data)
    assert nncomp.decompress(blob) == data


def test_few_streams_take_a_constant_learning_rate():
    """resolve()'s rule: under lr_below streams, a constant lr_few; the header stores the result
    (a recipe of its own: the rule, not a preset's tuning)."""
    cfg = dataclasses.replace(presets.get("test"), lr=2e-2, lr_end=2e-3, lr_below=8, lr_few=5e-3,
                              stream_len=1000, max_streams=64)
    small = presets.resolve(cfg, cfg.stream_len * (cfg.lr_below - 1))
    large = presets.resolve(cfg, cfg.stream_len * cfg.lr_below)
    assert (small.lr, small.lr_end) == (cfg.lr_few, 0.0)
    assert (large.lr, large.lr_end) == (cfg.lr, cfg.lr_end)
    for c in (small, large):
        assert "lr_below" not in c.to_dict() and "lr_few" not in c.to_dict()
        assert ModelConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError):
        dataclasses.replace(cfg, lr_few=0.0).check()


@pytest.mark.slow
def test_over_a_hundred_kb_of_real_text():
    """Eight streams of ~7,300 dictionary symbols: ~900 training blocks, ~57 coder segments
    (the dictionary threshold lowered: 120 kB is under it)."""
    data = shared_file("canterbury/lcet10.txt").read_bytes()[:120_000]
    with mock.patch.object(frame, "MIN_TEXT_LENGTH", 1 << 16):
        blob = rt(data)
    assert nncomp.info(blob)[0].config["vocab"] > 256


@pytest.mark.parametrize("preset, dictionary", [
    (p, d) for p in presets.PRESETS if p != "test" for d in (False, True) if d or p != "max"])
def test_every_preset_round_trips(preset, dictionary):
    """Tiny inputs: the real presets' shapes, dtypes and dictionaries, not their ratios. A tiny
    input runs one stream, in float32 where a preset says so; the dictionary runs keep the
    preset's own dtypes (where the CPU has bf16 instructions: float32 everywhere else). max
    codes fewer bytes, with a dictionary only: its steps cost ~10 ms each here (tests/data/golden
    decodes more of it)."""
    data = shared_file("canterbury/xargs.1").read_bytes()[:900 if preset == "max" else 1500]
    cfg = presets.get(preset)
    if dictionary:
        cfg = dataclasses.replace(cfg, float32_below=0)
    with mock.patch.object(frame, "MIN_TEXT_LENGTH", 0 if dictionary else frame.MIN_TEXT_LENGTH):
        blob, info = api.compress_info(data, preset, config=cfg, fallback=False)
    assert info.kind == "model" and (info.config.vocab > 256) == dictionary
    keeps = (dictionary or not cfg.float32_below) and determinism.native_bf16("cpu")
    assert info.config.dtype == (cfg.dtype if keeps else "float32")
    assert nncomp.decompress(blob) == data


@pytest.mark.parametrize("bf16", [True, False], ids=["bf16-cpu", "no-bf16-cpu"])
def test_few_streams_run_in_float32(bf16):
    """What the header stores is the config that ran: float32 under the recipe's threshold or
    on a device without bf16, and no threshold."""
    cfg = dataclasses.replace(FLOAT_TEST, dtype="bfloat16", train_dtype="bfloat16",
                              float32_below=8, stream_len=1000, max_streams=64)
    small = presets.resolve(cfg, cfg.stream_len * (cfg.float32_below - 1), bf16=bf16)
    large = presets.resolve(cfg, cfg.stream_len * cfg.float32_below, bf16=bf16)
    assert (small.streams, large.streams) == (cfg.float32_below - 1, cfg.float32_below)
    f32 = {"dtype": "float32", "train_dtype": "float32"}
    assert small == dataclasses.replace(cfg, streams=small.streams, float32_below=0, **f32)
    assert large == dataclasses.replace(cfg, streams=large.streams, float32_below=0,
                                        **({} if bf16 else f32))
    assert "float32_below" not in small.to_dict()
    assert ModelConfig.from_dict(small.to_dict()) == small


@pytest.mark.slow
def test_fast_preset_round_trips():
    data = shared_file("canterbury/fields.c").read_bytes()[:4000]  # one stream: ~1 ms a symbol
    rt(data, "fast")


def test_the_float_engines_thread_count_is_recorded_for_its_decoder():
    """The float engine's tiny test model computes the same bits with 1 and 2 threads; larger
    ones need not (its default differed on an AVX-512 CPU), so its header records the count
    and the decoder runs it."""
    data = shared_file("canterbury/cp.html").read_bytes()[:12000]
    cfg = presets.resolve(FLOAT_TEST, len(data))
    assert loop.encode(data, cfg, 1)[0] == loop.encode(data, cfg, 2)[0]
    blob = nncomp.compress(data, "test", config=FLOAT_TEST, threads=1, fallback=False)
    assert nncomp.info(blob)[0].fingerprint["threads"] == 1
    assert nncomp.decompress(blob) == data


def test_keeping_freed_memory_takes_effect_on_glibc_and_changes_no_bits():
    data = shared_file("canterbury/cp.html").read_bytes()[:12000]
    cfg = presets.resolve(presets.get("test"), len(data))
    before = loop.encode(data, cfg, 2)[0]
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert nncomp.keep_freed_memory() is glibc  # False if glibc refused a threshold
    assert loop.encode(data, cfg, 2)[0] == before


def test_concatenated_archives_decode_to_the_concatenation():
    a, b = b"first part " * 50, b"second"
    assert nncomp.decompress(nncomp.compress(a, "test") + nncomp.compress(b, "test")) == a + b


def test_verify_flag():
    data = b"verify me " * 100
    assert nncomp.decompress(nncomp.compress(data, "test", verify=True, fallback=False)) == data


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "float"])
def test_coded_size_matches_the_model_cross_entropy(exact):
    """The range coder's overhead over Σ -log2 p is within 0.1 % (+ flush and length words
    per coder segment, and the 16-bit check words), for both engines' coders."""
    data = shared_file("canterbury/lcet10.txt").read_bytes()[:75_000]
    recipe = presets.get("test") if exact else FLOAT_TEST
    cfg = presets.resolve(dataclasses.replace(recipe, coder_segment=512), len(data))
    payload, stats = loop.encode(data, cfg, threads=2)
    segments = len(rangecoder.split_segments(payload) if exact else coder._split_segments(payload))
    assert segments > 100  # so that the per-segment words below weigh
    checks = len(data) // coder.CHECK_INTERVAL + 6
    assert 8 * len(payload) <= stats.bits * 1.001 + 96 * segments + 16 * checks
    assert 8 * len(payload) >= stats.bits  # the coder cannot beat the model


@needs_bf16
def test_bfloat16_paths_round_trip():
    """bf16 prediction and bf16-autocast training are deterministic too (configurable per file)."""
    data = shared_file("canterbury/xargs.1").read_bytes()
    cfg = dataclasses.replace(FLOAT_TEST, dtype="bfloat16", train_dtype="bfloat16")
    blob, info = api.compress_info(data, "test", config=cfg, fallback=False)
    assert not info.stored and nncomp.info(blob)[0].config["train_dtype"] == "bfloat16"
    assert nncomp.decompress(blob) == data
    for train, head in (("float32", "bfloat16"), ("bfloat16", "float32")):
        cfg = dataclasses.replace(FLOAT_TEST, train_dtype=train, train_head_dtype=head)
        blob = api.compress_info(data, "test", config=cfg, fallback=False)[0]
        assert nncomp.info(blob)[0].config["train_head_dtype"] == head
        assert nncomp.decompress(blob) == data


def test_bfloat16_becomes_float32_where_the_cpu_has_no_bf16_instructions():
    """Without AVX512-BF16 or AMX the oneDNN bf16 LSTM does not exist: a bf16 preset must still
    compress there (in float32, as its header says), and a bf16 archive is refused by name."""
    data = shared_file("canterbury/xargs.1").read_bytes()
    cfg = dataclasses.replace(presets.get("test"), dtype="bfloat16", train_dtype="bfloat16",
                              train_head_dtype="bfloat16")
    with mock.patch.object(determinism, "native_bf16", return_value=False):
        blob = api.compress_info(data, "test", config=cfg, fallback=False)[0]
        fr = container.read_frame(blob, 0)[0]
        assert fr.config.dtypes() == ("float32",) * 3
        assert nncomp.decompress(blob) == data
        as_bf16 = dataclasses.replace(fr, config=dataclasses.replace(fr.config, dtype="bfloat16"))
        with pytest.raises(nncomp.EnvironmentMismatchError, match="bfloat16"):
            nncomp.Decompressor(ignore_fingerprint=True).decode_frame(as_bf16)


def test_learning_rate_falls_to_lr_end():
    """After warm-up the rate falls geometrically from lr to lr_end at the run's last update;
    both directions know that update's number from the symbol count, so such archives decode."""
    cfg = dataclasses.replace(presets.get("test"), warmup=0, lr=1e-2, lr_end=1e-3)
    model = build(presets.resolve(cfg, 100))
    model.set_run_length(100)
    rates = []
    for u in (0, 50, 100, 300):
        model.updates = u
        rates.append(model.lr_now())
    assert rates == pytest.approx([1e-2, 10**-2.5, 1e-3, 1e-3])
    data = shared_file("canterbury/cp.html").read_bytes()[:8000]
    blob = api.compress_info(data, "test", config=cfg, fallback=False)[0]
    assert nncomp.info(blob)[0].config["lr_end"] == 1e-3
    assert blob != api.compress_info(data, "test", config=dataclasses.replace(cfg, lr_end=0.0),
                                     fallback=False)[0]
    assert nncomp.decompress(blob) == data


def test_config_fields_added_later_may_be_absent():
    """Archives written before a field existed (no text_vocab, train_head_dtype, context,
    lr_end, text_case, sse) still read."""
    cfg = dataclasses.replace(presets.get("test"), lr_end=1e-3, text_case=True, sse=True)
    later = ("text_vocab", "train_head_dtype", "context", "lr_end", "text_case", "sse")
    old = {k: v for k, v in cfg.to_dict().items() if k not in later}
    assert ModelConfig.from_dict(old) == dataclasses.replace(cfg, text_vocab=0, train_head_dtype="",
                                                            context=0, lr_end=0.0, text_case=False,
                                                            sse=False)
    assert "train_head_dtype" not in dataclasses.replace(cfg, train_head_dtype="").to_dict()
    assert "context" not in dataclasses.replace(cfg, context=0).to_dict()


def test_an_archive_of_an_earlier_version_still_decodes():
    """Written by nncomp 0.1.0 (commit 4a39a56, test preset, before context statistics) on
    this project's machine (an Intel Xeon with AVX-512): its config has no `context`, and the
    engine runs without them. Another instruction set computes other floats: skipped there."""
    blob = (DATA / "alice-20000-test-0.1.0.nnc").read_bytes()
    frame = nncomp.info(blob)[0]
    assert frame.config.get("context", 0) == 0
    try:
        determinism.check(frame.fingerprint, "cpu")
    except nncomp.EnvironmentMismatchError as e:
        pytest.skip(f"written on another kind of CPU: {e}")
    assert nncomp.decompress(blob) == ALICE.read_bytes()[:20000]


def test_without_context_statistics():
    data = shared_file("canterbury/cp.html").read_bytes()[:8000]
    cfg = dataclasses.replace(presets.get("test"), context=0)
    blob = api.compress_info(data, "test", config=cfg, fallback=False)[0]
    assert nncomp.info(blob)[0].config.get("context", 0) == 0
    assert nncomp.decompress(blob) == data


def test_fallback_frames_when_the_model_loses():
    """Small or repetitive inputs: the frame is a conventional one where that is smaller than
    the model's, so an archive is never larger than xz -9e's or PPMd's output by more than a
    frame's few bytes: a small PPMd frame on a small text, brotli on repeats under 64 KiB,
    LZMA2 on repeats above."""
    import lzma
    text = shared_file("canterbury/grammar.lsp").read_bytes()
    repeats = random.Random(0).randbytes(3000) * 8
    longer = random.Random(0).randbytes(11000) * 6  # over SMALL_MAX_LENGTH
    for data, kind in [(text, "ppmd"), (repeats, "brotli"), (longer, "lzma")]:
        blob, info = api.compress_info(data, "test")
        model_only = nncomp.compress(data, "test", fallback=False)
        xz = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
        ppmd = min(len(b) for o in frame.PPMD_ORDERS_SMALL if (b := container.write_ppmd(data, o)))
        assert info.kind == kind and len(blob) < len(model_only)
        assert len(blob) <= min(len(xz), ppmd)
        assert info.model_bits > 0  # the model ran, and lost
        assert nncomp.decompress(blob) == data
        assert nncomp.info(blob)[0].kind == kind


@pytest.mark.parametrize("name", ["grammar.lsp", "xargs.1", "fields.c"])
def test_small_files_within_one_percent_of_every_conventional_row(name):
    """Files of a few kB: the smallest frame is within 1 % of the smallest row of every
    conventional codec the bench runs in-process (small frames: 13-16 bytes of frame where the
    others take 30-31; grammar.lsp, 3.7 kB, was 3 % over PPMd's bare stream with 31)."""
    from nncomp.bench import codecs
    data = shared_file(f"canterbury/{name}").read_bytes()
    rows = [f() for f in codecs.FACTORIES.values()]
    best = min(len(c.compress(data)) for c in rows if not isinstance(c, codecs.Command))
    blob = min(frame._fallbacks(data, 1 << 62), key=len)
    assert container.kind_name(blob) in ("ppmd", "brotli") and len(blob) <= 1.01 * best
    assert nncomp.decompress(blob) == data


def test_fallbacks_are_skipped_only_where_the_model_clearly_wins(monkeypatch):
    """ZPAQ is tried on every block from ZPAQ_FROM; LZMA2 and PPMd unless the smallest frame so
    far (the model's or ZPAQ's) is under their share of the quick LZMA2 pass. ZPAQ's frame here
    is a stand-in of the size a test sets (a real one on 1.3 MB costs seconds)."""
    data = shared_file("canterbury/lcet10.txt").read_bytes() * 3  # over QUICK_LZMA_FROM
    quick = frame._quick_lzma_size(data)
    zpaq_size = [0]
    monkeypatch.setattr(container, "write_zpaq", lambda d: container._coded_frame(
        container.KIND_ZPAQ, d, bytes(zpaq_size[0])))

    def kinds(data: bytes, model: float, zpaq: float = 2.0) -> list[str]:
        zpaq_size[0] = int(zpaq * quick)
        return [container.kind_name(b) for b in frame._fallbacks(data, int(model * quick))]
    assert kinds(data, 0.15) == ["stored", "zpaq"]
    assert kinds(data, 0.65, zpaq=0.58) == ["stored", "zpaq"]  # ZPAQ's frame beats PPMd's
    assert kinds(data, 0.65) == ["stored", "zpaq", "ppmd"]
    assert kinds(data, 1.0) == ["stored", "zpaq", "lzma", "ppmd"]
    assert kinds(data, 1.0, zpaq=0.59) == ["stored", "zpaq"]
    # Small inputs: always tried, small frames up to SMALL_MAX_LENGTH, ZPAQ from ZPAQ_FROM.
    small = ["stored", "lzma", *["ppmd"] * len(frame.SMALL_PPMD), "brotli"]
    assert kinds(data[:frame.ZPAQ_FROM - 1], 0.01) == small
    assert kinds(data[:frame.ZPAQ_FROM], 0.01, zpaq=0.01) == ["stored", "zpaq"] + small[1:]
    n = container.SMALL_MAX_LENGTH
    assert kinds(data[:n + 1], 0.01, zpaq=0.01) == ["stored", "zpaq", "lzma", "ppmd", "ppmd"]
    assert {f[5] for f in frame._fallbacks(data[:n], 1 << 40)} >= {container.KIND_BROTLI} | {
        container.KIND_PPMD_H + o for v, o in frame.SMALL_PPMD if v == "H"}


def test_a_warm_chain_keeps_its_model_frame_unless_another_is_far_smaller():
    """Outside chains the smallest frame is written (the model's on a tie); in a warm chain a
    conventional frame, which ends the chain, only where it is under WARM_KEEP of the model's,
    or the model's is larger than the stored frame."""
    def kind(model: int, stored: int, other: int, chained: bool) -> str:
        blobs = {"model": bytes(model), "stored": bytes(stored), "zpaq": bytes(other)}
        out = frame._choose(blobs["model"], [blobs["stored"], blobs["zpaq"]], chained)
        return next(k for k, b in blobs.items() if b is out)
    keep = frame.WARM_KEEP
    assert kind(1000, 2000, 999, chained=False) == "zpaq"
    assert kind(1000, 2000, 1000, chained=False) == "model"
    assert kind(1000, 2000, int(1000 * keep), chained=True) == "model"
    assert kind(1000, 2000, int(1000 * keep) - 1, chained=True) == "zpaq"
    assert kind(1000, 999, 990, chained=True) == "zpaq"  # never larger than stored + 18 bytes
    assert kind(1000, 999, 2000, chained=True) == "stored"


def test_a_zpaq_frame_where_it_is_smallest():
    """A record-structured binary of 27 kB: libzpaq's method 5 beats the test model, LZMA2 and
    PPMd; the archive is its frame (30 bytes over libzpaq's own stream) and decodes."""
    import zpaq
    data = RECORDS
    blob, info = api.compress_info(data, "test")
    assert info.kind == "zpaq" and info.model_bits > 0
    assert len(blob) == container.ZPAQ_OVERHEAD + len(zpaq.compress(data, level=5, threads=1))
    assert len(blob) < min(len(container.write_lzma(data)), len(container.write_ppmd(data, 8)))
    assert nncomp.decompress(blob) == data and nncomp.info(blob)[0].kind == "zpaq"


def test_zpaq_runs_beside_the_model_and_its_errors_reach_the_caller(monkeypatch):
    """ZPAQ's frame is written in a thread while the model runs; what fails there is raised
    where the frames are compared, not lost with the thread."""
    threads = []

    def fails(data: bytes) -> bytes:
        threads.append(threading.current_thread().name)
        raise OSError("no space for libzpaq")
    monkeypatch.setattr(container, "write_zpaq", fails)
    with pytest.raises(OSError, match="libzpaq"):
        nncomp.compress(bytes(range(256)) * 100, "test")
    assert threads == ["nncomp-zpaq"]
    nncomp.compress(bytes(range(256)) * 50, "test")  # under ZPAQ_FROM: no thread, no ZPAQ
    assert threads == ["nncomp-zpaq"]


@pytest.mark.slow
def test_the_quick_lzma_pass_bounds_xz_and_ppmd():
    """Why skipping is safe: wherever the model's frame is under SKIP_LZMA_BELOW of the quick
    pass, xz -9e's frame would not have been more than 1 % smaller, and under SKIP_PPMD_BELOW,
    PPMd's would not have been smaller (every Canterbury file)."""
    for path in sorted(shared_file("canterbury/alice29.txt").parent.iterdir()):
        if path.name in ("SHA256SUMS", "README.md"):
            continue
        data = path.read_bytes()
        quick = frame._quick_lzma_size(data)
        assert len(container.write_lzma(data)) > frame.SKIP_LZMA_BELOW * quick / 1.01
        # PPMd, which large inputs try at PPMD_ORDERS_LARGE, is never under SKIP_PPMD_BELOW
        for order in frame.PPMD_ORDERS_LARGE:
            assert len(container.write_ppmd(data, order) or b"") > frame.SKIP_PPMD_BELOW * quick
