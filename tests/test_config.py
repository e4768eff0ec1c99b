"""The config's arithmetic about the network it describes."""
from __future__ import annotations

import dataclasses

import pytest

from nncomp import config, presets
from nncomp.models import context, match
from nncomp.config import ModelConfig
from nncomp.net import build


def test_feature_widths_are_those_the_feature_models_fill():
    """config keeps copies so that it can size the network without importing numba."""
    assert config.MATCH_BUCKETS == match.BUCKETS
    assert config.CTX_BUCKETS == context.BUCKETS


TRANSFORMER = ModelConfig(arch="transformer", embed=32, hidden=32, heads=2, memory=16, layers=2,
                         match=True, context=3)


@pytest.mark.parametrize("cfg", [
    *(presets.get(name) for name in presets.PRESETS),
    dataclasses.replace(presets.get("default"), match=False, context=0),
    dataclasses.replace(presets.get("fast"), vocab=256 + 1536),
    TRANSFORMER,
    dataclasses.replace(TRANSFORMER, match=False, context=0),
], ids=lambda c: f"{c.arch}-E{c.embed}-H{c.hidden}-L{c.layers}-V{c.vocab}-m{int(c.match)}-c{c.context}")
def test_n_params_counts_the_built_models_parameters(cfg):
    """n_params() bounds what a header may ask to allocate (api's max_params), so it must be
    the count of what build() allocates."""
    model = build(cfg)
    assert cfg.n_params() == sum(p.numel() for p in model.parameters())
