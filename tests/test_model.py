"""Training with `reuse_probs`: the output gradient taken from the step's probabilities is the
cross-entropy's gradient, and archives written either way decode."""
from __future__ import annotations

import dataclasses

import pytest
import torch

import nncomp
from nncomp import api
from nncomp.engine import determinism
from nncomp.config import CTX_BUCKETS, MATCH_BUCKETS
from nncomp.config import ModelConfig
from nncomp.net import build
from conftest import ALICE, CUDA_MARKS, FLOAT_TEST

TRANSFORMER = dict(arch="transformer", embed=16, hidden=16, heads=2, memory=12)


def _gradients(cfg: ModelConfig, reuse: bool, device: str = "cpu"
               ) -> tuple[float, dict[str, torch.Tensor]]:
    """The loss and every parameter's gradient after one block, the weights moved off their
    initial values (zero gates, round bonuses) so that every term of the gradient counts."""
    cfg = dataclasses.replace(cfg, reuse_probs=reuse)
    T, B, V, K = cfg.bptt, cfg.streams, cfg.vocab, cfg.context * cfg.ctx_top
    gen = torch.Generator().manual_seed(3)
    inputs, targets, pred = (torch.randint(0, V + extra, (T, B), generator=gen) for extra in (0, 0, 1))
    bucket = torch.randint(0, MATCH_BUCKETS, (T, B), generator=gen)
    ctx = (torch.randint(0, V, (T, B, K), generator=gen),
           torch.randint(0, cfg.context * CTX_BUCKETS + 1, (T, B, K), generator=gen))
    inputs, targets, pred, bucket = (x.to(device) for x in (inputs, targets, pred, bucket))
    ctx = tuple(x.to(device) for x in ctx)
    with determinism.torch_settings(1):
        model = build(cfg, device)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=gen).to(device))
        start = model.block_start(model.initial_state(B))
        if hasattr(model, "pos"):  # the Transformer trains on the T positions it has just predicted
            model.pos += T
        with torch.no_grad():
            probs = torch.softmax(model.forward(inputs, start, pred, bucket, ctx), -1)  # [T, B, V]
        model.opt.step = lambda lr: None  # keep the gradients of the weights they were taken at
        loss = model.train_block(inputs, targets, start, pred, bucket, ctx, probs=probs)
    return loss, {n: p.grad.cpu() for n, p in model.named_parameters()}


@pytest.mark.parametrize("arch,device", [("lstm", "cpu"), ("transformer", "cpu"),
                                         pytest.param("lstm", "cuda", marks=CUDA_MARKS)])
def test_the_reused_gradient_is_the_cross_entropys(arch, device):
    cfg = dataclasses.replace(FLOAT_TEST, vocab=300, streams=5,
                              **(TRANSFORMER if arch == "transformer" else {}))
    loss, grads = _gradients(cfg, False, device)
    loss2, grads2 = _gradients(cfg, True, device)
    assert loss2 == pytest.approx(loss, rel=1e-6)
    assert grads.keys() == grads2.keys()
    for name, g in grads.items():
        assert g.abs().max() > 0, name
        assert torch.allclose(grads2[name], g, rtol=1e-4, atol=1e-6 * float(g.abs().max())), name


def test_archives_written_with_and_without_reuse_decode():
    """Float-engine archives reuse the step's probabilities; those written before (absent
    field = false) recompute the head, and decode so."""
    data = ALICE.read_bytes()[:12_000]
    blobs = {}
    for reuse in (False, True):
        cfg = dataclasses.replace(FLOAT_TEST, reuse_probs=reuse)
        blobs[reuse] = api.compress_info(data, "test", config=cfg, fallback=False)[0]
        assert nncomp.info(blobs[reuse])[0].config.get("reuse_probs", False) is reuse
        assert nncomp.decompress(blobs[reuse]) == data
    assert blobs[False] != blobs[True]
