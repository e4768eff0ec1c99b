"""Secondary estimation: the identity at the start, learns a miscalibrated top probability, keeps
every row a distribution, and computes exactly what docs/FORMAT.md specifies."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nncomp
from nncomp import api, presets
from nncomp.format import container
from nncomp.models.sse import NODES, RATE_MIN, SecondaryEstimate


def distribution(rng: np.random.Generator, k: int, V: int, sharp: float = 3.0) -> np.ndarray:
    x = rng.standard_normal((k, V)) * sharp
    p = np.exp(x - x.max(1, keepdims=True))
    return (p / p.sum(1, keepdims=True)).astype(np.float32)


def reference_step(table, count, probs, pred, bucket, sym):
    """docs/FORMAT.md's 'Secondary estimation', written out in plain Python floats (float64)."""
    out, seen = probs.copy(), []
    for i in range(len(probs)):
        b = int(np.argmax(probs[i]))
        p = float(probs[i, b])
        if not NODES[0] < p < NODES[-1]:
            seen.append(None)
            continue
        j = max(n for n in range(32) if NODES[n] <= p)
        f = (p - NODES[j]) / (NODES[j + 1] - NODES[j])
        c = 2 * int(bucket[i]) + (1 if pred[i] == b else 0)
        q = min(max(table[c, j] * (1 - f) + table[c, j + 1] * f, NODES[0]), NODES[-1])
        out[i] *= np.float32((1 - q) / (1 - p))
        out[i, b] = np.float32(q)
        seen.append((b, j, f, c))
    for i, s in enumerate(seen):
        if s is not None:
            b, j, f, c = s
            y = 1.0 if sym[i] == b else 0.0
            for node, w in ((j, 1 - f), (j + 1, f)):
                count[c, node] += w
                table[c, node] += (max(RATE_MIN, 1 / (1.5 + count[c, node])) * w) * (y - table[c, node])
    return out


def test_it_starts_as_the_identity():
    probs = distribution(np.random.default_rng(0), 8, 300)
    adjusted = probs.copy()
    SecondaryEstimate(8).adjust(adjusted)
    np.testing.assert_allclose(adjusted, probs, rtol=1e-6)


def test_an_overconfident_top_symbol_is_corrected_and_rows_stay_distributions():
    rng = np.random.default_rng(1)
    sse = SecondaryEstimate(4)
    probs = np.full((4, 10), 0.2 / 9, np.float32)
    probs[:, 3] = 0.8  # the network says 80 %; the symbol comes true half the time
    for step in range(2000):
        row = probs.copy()
        sse.adjust(row)
        sse.observe(0, 4, np.where(rng.random(4) < 0.5, 3, 7))
    assert row[:, 3] == pytest.approx(0.5, abs=0.05)
    assert (row > 0).all()
    np.testing.assert_allclose(row.sum(1), 1.0, rtol=1e-6)
    assert row[0, 7] == pytest.approx(0.5 / 9, rel=0.1)  # the others share what the top gave up


@pytest.mark.parametrize("with_match", [False, True])
def test_matches_the_format_specification_bit_for_bit(with_match):
    """Only +, -, *, / in float64: the compiled code and the spec in plain Python agree exactly,
    through learning, with the match model's context or without one (context 0)."""
    rng = np.random.default_rng(2)
    B, V = 6, 50
    sse = SecondaryEstimate(B)
    table, count = sse.table.copy(), sse.count.copy()
    for step in range(300):
        k = B - step % 3  # streams end: fewer active rows
        probs = distribution(rng, k, V, sharp=rng.uniform(0.5, 6.0))
        pred = rng.integers(0, V + 1, k).astype(np.int32)
        bucket = rng.integers(0, 8, k).astype(np.uint8)
        pred[0] = np.argmax(probs[0])  # the match names the top symbol at least once a step
        sym = np.where(rng.random(k) < 0.4, probs.argmax(1), rng.integers(0, V, k))
        got = probs.copy()
        if with_match:
            sse.adjust(got, pred, bucket)
        else:
            sse.adjust(got)
            pred, bucket = np.full(k, -1), np.zeros(k, np.uint8)
        expected = reference_step(table, count, probs, pred, bucket, sym)
        assert np.array_equal(got, expected)
        sse.observe(0, len(sym), sym)
    assert np.array_equal(sse.table, table) and np.array_equal(sse.count, count)
    assert (table != NODES).any(axis=1).sum() == (16 if with_match else 1)  # contexts used


@pytest.mark.parametrize("sse", [False, True])
def test_archives_with_and_without_it_round_trip(sse):
    data = (b"the cat sat on the mat; " * 40 + bytes(range(256))) * 3
    cfg = dataclasses.replace(presets.get("test"), sse=sse)
    blob = api.compress_info(data, "test", config=cfg, fallback=False)[0]
    assert container.read_frame(blob, 0)[0].config.sse is sse
    assert nncomp.decompress(blob) == data
