"""The match model: finds repeats, and never looks at a row the decoder does not know yet."""
from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nncomp.engine import streams
from nncomp.models.match import MINLEN, NO_MATCH, MatchModel
from conftest import feed_rows


def features(data: bytes, B: int, progressive: bool) -> tuple[np.ndarray, np.ndarray]:
    mm = feed_rows(data, B, lambda tok: MatchModel(tok, len(data)), progressive)
    return mm.pred, mm.bucket


def test_a_repeat_is_predicted():
    rnd = random.Random(1)
    block = bytes(rnd.randrange(256) for _ in range(2000))
    pred, bucket = features(block + block, 1, progressive=False)
    tok = streams.to_streams(block + block, 1)
    second = range(2000 + MINLEN + 2, 4001)
    hits = sum(pred[r, 0] == tok[r, 0] for r in second)
    assert hits >= len(second) - 2
    assert bucket[3000, 0] == 7  # long match
    first = range(MINLEN + 2, 2000)
    assert sum(pred[r, 0] != NO_MATCH for r in first) < 20  # random data: (almost) no matches


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 9), st.integers(0, 3000))
def test_features_only_depend_on_known_rows(seed, B, n):
    rnd = random.Random(seed)
    words = [bytes(rnd.randrange(97, 101) for _ in range(rnd.randrange(1, 9))) for _ in range(12)]
    data = b"".join(rnd.choice(words) for _ in range(n))[:n]
    enc = features(data, B, progressive=False)
    dec = features(data, B, progressive=True)
    assert np.array_equal(enc[0], dec[0]) and np.array_equal(enc[1], dec[1])
