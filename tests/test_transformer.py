"""The Transformer predictor: what training computes is what prediction saw, and archives
round-trip, resume and refuse like the LSTM's."""
from __future__ import annotations

import dataclasses
import io
from unittest import mock

import pytest
import torch

import nncomp
from nncomp import api, presets
from nncomp.engine import determinism
from nncomp.checkpoint import Checkpoint
from nncomp.config import ModelConfig
from nncomp.net import build
from conftest import ALICE, Crash, crashing

TINY = ModelConfig(arch="transformer", embed=16, hidden=16, heads=2, memory=12, layers=2, bptt=8,
                  lr=1e-2, warmup=10, max_streams=8, stream_len=1000, match=True, context=2,
                  coder_segment=1024)


def rt(data: bytes, cfg: ModelConfig) -> bytes:
    blob = api.compress_info(data, "test", config=cfg, fallback=False)[0]
    assert nncomp.info(blob)[0].config["arch"] == "transformer"
    assert nncomp.decompress(blob) == data
    return blob


@pytest.mark.parametrize("memory", [1, 5, 12, 40])
def test_training_sees_what_prediction_saw(memory):
    """Over two blocks, the training forward's probabilities equal the stepwise ones: the same
    window of positions, the same rotary angles, the older keys taken from the ring."""
    cfg = dataclasses.replace(TINY, memory=memory, match=False, context=0, streams=3)
    T = cfg.bptt
    with determinism.torch_settings(1):
        model = build(cfg)
        state = model.initial_state(3)
        inputs = torch.randint(0, 256, (2 * T, 3))
        for blk in range(2):
            start = model.block_start(state)
            probs = torch.stack([model.step(inputs[blk * T + t], state) for t in range(T)])
            with torch.no_grad():
                logits = model.forward(inputs[blk * T:(blk + 1) * T], start)
            assert torch.allclose(torch.softmax(logits, -1), probs, atol=1e-5)


def test_round_trips_with_every_feature():
    data = ALICE.read_bytes()[:6000]
    rt(data, TINY)
    rt(data, dataclasses.replace(TINY, memory=3, match=False, context=0))
    rt(bytes(range(256)) * 8, dataclasses.replace(TINY, dtype="bfloat16", train_dtype="bfloat16"))


def test_resumed_compression_is_byte_identical(tmp_path):
    """The rings and the position travel in a checkpoint."""
    data = ALICE.read_bytes()[:5_000]

    def compress(**kw) -> bytes:
        out = io.BytesIO()
        api.compress_stream(io.BytesIO(data), out, "tiny-transformer", block_size=4096,
                            fallback=False, **kw)
        return out.getvalue()

    with mock.patch.dict(presets.PRESETS, {"tiny-transformer": TINY}):
        reference = compress()
        path = str(tmp_path / "ck")
        with pytest.raises(Crash):
            compress(checkpoint=crashing(Checkpoint(path, interval=0), 3))
        assert compress(checkpoint=Checkpoint(path, interval=0)) == reference
    assert nncomp.decompress(reference) == data


def test_bad_transformer_configs_are_refused():
    for bad in (dict(heads=0), dict(heads=3), dict(heads=16), dict(memory=0), dict(embed=8),
                dict(arch="rnn")):
        with pytest.raises(ValueError):
            dataclasses.replace(TINY, **bad).check()
    # An archive's header is checked the same way before anything is built.
    with pytest.raises(ValueError):
        ModelConfig.from_dict({**TINY.to_dict(), "heads": 5})


def test_no_gpu_path_yet():
    with pytest.raises(ValueError, match="CPU only"):
        build(TINY, "meta")


def test_lstm_configs_do_not_name_the_new_fields():
    """LSTM archives keep the header they had: arch, heads and memory are absent."""
    d = presets.get("default").to_dict()
    assert not {"arch", "heads", "memory"} & set(d)
    assert ModelConfig.from_dict(d) == presets.get("default")  # absent reads as the LSTM
