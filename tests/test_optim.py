"""nncomp.net.optim.Adam against torch.optim.Adam(fused=True), which wrote every archive before it."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from nncomp.net.optim import Adam
from conftest import CUDA_MARKS

DEVICES = ["cpu", pytest.param("cuda", marks=CUDA_MARKS)]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(40, 8)
        self.lstm = nn.LSTM(8, 16)
        self.head = nn.Linear(16, 40)
        self.late = nn.Linear(16, 40)  # no gradient before step 3: its state starts later

    def loss(self, step: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(step)
        x = torch.randint(0, 40, (6, 3), generator=g).to(self.head.weight.device)
        y = torch.randint(0, 40, (6, 3), generator=g).to(x.device)
        h, _ = self.lstm(self.embed(x))  # [6, 3, 16]
        logits = self.head(h) + (self.late(h) if step >= 3 else 0)  # [6, 3, 40]
        return nn.functional.cross_entropy(logits.reshape(-1, 40), y.reshape(-1))


def _train(net: Net, opt, steps: range) -> None:
    for step in steps:
        lr = 1e-2 * 0.9 ** step
        opt.zero_grad()
        net.loss(step).backward()
        if isinstance(opt, Adam):
            opt.step(lr)
        else:
            for g in opt.param_groups:
                g["lr"] = lr
            opt.step()


def _pair(device: str):
    ours, theirs = Net().to(device), Net().to(device)
    kw = dict(lr=1e-2, betas=(0.0, 0.9999), eps=1e-8)
    return ours, Adam(ours.parameters(), **kw), theirs, torch.optim.Adam(theirs.parameters(), fused=True, **kw)


def _same(a: Net, b: Net) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("device", DEVICES)
def test_the_same_weights_as_torch_optim(device):
    ours, opt, theirs, ref = _pair(device)
    _train(ours, opt, range(8))
    _train(theirs, ref, range(8))
    assert _same(ours, theirs)
    assert not _same(ours, Net().to(device))  # the weights did move


@pytest.mark.parametrize("device", DEVICES)
def test_state_dicts_carry_over_both_ways(device):
    """A checkpoint's optimizer state, written by either, continues the run with either."""
    ours, opt, theirs, ref = _pair(device)
    _train(ours, opt, range(4))
    _train(theirs, ref, range(4))
    saved_ours, saved_theirs = opt.state_dict(), ref.state_dict()
    opt.load_state_dict(saved_theirs)
    ref.load_state_dict(saved_ours)
    _train(ours, opt, range(4, 8))
    _train(theirs, ref, range(4, 8))
    assert _same(ours, theirs)
    # Loading copies: the saved state did not move with the run.
    assert saved_theirs["state"][0]["step"].item() == 4
