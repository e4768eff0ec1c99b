"""Context statistics: counts kept in order, candidates only from rows the decoder knows, and a
bonus that only touches the candidates."""
from __future__ import annotations

import random

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nncomp.engine import streams
from nncomp.models.context import BUCKETS, LIMIT, SLOT, TOP, ContextModel, _bucket, _count
from nncomp.net.base import Predictor
from conftest import feed_rows


def run(data: bytes, B: int, orders: int, progressive: bool, vocab: int = 256):
    """The features of every row [R, B, K], with a ring as long as the input."""
    cm = feed_rows(data, B, lambda tok: ContextModel(tok, len(data), vocab, orders, tok.shape[0]),
                   progressive, vocab)
    return cm.cand, cm.cbkt


def test_a_slot_stays_sorted_and_halves_at_the_limit():
    sym, cnt = np.zeros(SLOT, np.uint16), np.zeros(SLOT, np.uint8)
    for s in [5, 7, 7, 9, 7, 9, 9, 9]:
        _count(sym, cnt, s)
    assert list(sym[:3]) == [9, 7, 5] and list(cnt[:3]) == [4, 3, 1]
    for s in range(100, 100 + SLOT):  # more symbols than places: the rarest is replaced
        _count(sym, cnt, s)
    assert list(sym[:2]) == [9, 7] and sym[SLOT - 1] == 100 + SLOT - 1
    for _ in range(LIMIT):
        _count(sym, cnt, 9)
    assert cnt[0] < LIMIT and cnt[1] == 2  # 9 passed the limit: every count was halved
    assert all(cnt[:-1] >= cnt[1:])
    while cnt[0] < LIMIT:  # up to the limit exactly, then past it: (LIMIT + 2) // 2
        _count(sym, cnt, 9)
    _count(sym, cnt, 9)
    assert cnt[0] == (LIMIT + 2) // 2 and cnt[1] == 1


def test_buckets_cover_count_and_share():
    seen = {int(_bucket(c, n)) for n in range(1, 80) for c in range(1, n + 1)}
    assert seen <= set(range(BUCKETS))
    assert set(range(BUCKETS - 6, BUCKETS)) <= seen  # a long history: every share has its own
    assert _bucket(1, 1) != _bucket(2, 2) != _bucket(1, 2)


def test_what_followed_a_context_is_a_candidate():
    data = bytes([1, 2, 3, 1, 2, 3, 1, 2])
    cand, cbkt = run(data, 1, 2, progressive=False)
    # Row 6 (the second "2") is predicted after "1 2" was followed by 3 once, and "2" too.
    assert cand[6, 0, 0] == 3 and cbkt[6, 0, 0] == _bucket(1, 1)
    assert cand[6, 0, TOP] == 3 and cbkt[6, 0, TOP] == BUCKETS + _bucket(1, 1)
    # Row 1 has no context; an empty candidate points at the zero bonus.
    assert (cbkt[1, 0] == 2 * BUCKETS).all() and (cand[1, 0] == 0).all()


def test_a_config_sets_candidates_and_slots():
    """ctx_top candidates per order out of ctx_slot counted symbols: with 5 places the sixth
    symbol after a context replaces the rarest (the newest of them); the first 3 go to the
    network, most frequent first. A model of the test preset with them round-trips."""
    data = bytes([9, 1, 9, 1, 9, 1, 9, 2, 9, 2, 9, 3, 9, 4, 9, 5, 9, 6, 9, 0])
    cm = feed_rows(data, 1, lambda tok: ContextModel(tok, len(data), 256, 1, tok.shape[0], top=3,
                                                     slot=5), False, 256)
    assert cm.sym.shape[-1] == 5 and cm.cand.shape[-1] == 3
    assert list(cm.sym[9]) == [1, 2, 3, 4, 6]  # what followed 9, row 19 counted
    assert list(cm.cand[20, 0]) == [1, 2, 3]  # predicting what follows the last 9
    import dataclasses
    import nncomp
    cfg = dataclasses.replace(nncomp.PRESETS["test"], ctx_top=6, ctx_slot=12)
    text = b"".join(random.Random(1).choice([b"ab", b"cd", b"ef", b"gh ", b"ij"]) for _ in range(900))
    blob = nncomp.Compressor("test", config=cfg, fallback=False).compress(text)
    assert nncomp.decompress(blob) == text and nncomp.info(blob)[0].config["ctx_top"] == 6


def test_symbols_beyond_a_byte():
    rnd = random.Random(3)
    seq = np.array([rnd.choice([300, 301, 4000, 65535]) for _ in range(500)], np.uint16)
    cand, cbkt = run(seq, 3, 2, progressive=False, vocab=65536)
    assert set(np.unique(cand[cbkt < 2 * BUCKETS])) <= {300, 301, 4000, 65535}


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 9), st.integers(0, 3000), st.integers(1, 4))
def test_features_only_depend_on_known_rows(seed, B, n, orders):
    rnd = random.Random(seed)
    words = [bytes(rnd.randrange(97, 101) for _ in range(rnd.randrange(1, 9))) for _ in range(12)]
    data = b"".join(rnd.choice(words) for _ in range(n))[:n]
    enc = run(data, B, orders, progressive=False)
    dec = run(data, B, orders, progressive=True)
    assert np.array_equal(enc[0], dec[0]) and np.array_equal(enc[1], dec[1])


def test_the_ring_keeps_a_training_block():
    data = bytes(random.Random(5).randrange(4) for _ in range(4000))
    full_c, full_b = run(data, 4, 2, progressive=False)
    tok = streams.to_streams(data, 4)
    cm = ContextModel(tok, len(data), 256, 2, rows=22)
    for r in range(1, 300):
        cm.observe(r, 4)
        if r >= 21:
            c, b = cm.features(slice(r - 19, r + 2))  # a block of 20 and the next row
            assert np.array_equal(c, full_c[r - 19:r + 2]) and np.array_equal(b, full_b[r - 19:r + 2])


def test_the_bonus_lands_on_candidates_only():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 50)
    cand = torch.randint(0, 50, (3, 5, 8))
    cand[..., 0] = cand[..., 4]  # two orders naming the same symbol add up
    val = torch.randn(3, 5, 8)
    out = Predictor._add_context(logits, cand, val)
    ref = logits.clone()
    for idx in np.ndindex(3, 5, 8):
        ref[idx[0], idx[1], cand[idx]] += val[idx]
    assert torch.allclose(out, ref, atol=1e-6)
    assert torch.allclose(Predictor._add_dense(logits, cand, val), ref, atol=1e-6)
