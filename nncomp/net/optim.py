"""Adam as `torch.optim.Adam(fused=True)` computes it, without torch.optim.

torch.optim imports torch._dynamo on its first parameter group and step (1.7 s, every model run,
for a compiler nncomp never uses). The update here is the same fused kernel called with the same
arguments, so the weights, and the archives, are bit-identical to those torch.optim gives
(tests/test_optim.py compares them); its state_dict has torch.optim's layout, so a
checkpoint written by either resumes with either.
"""
from __future__ import annotations

from typing import Iterable

import torch


def param_groups(lr: float, betas: tuple[float, float], eps: float, n: int, **extra) -> list[dict]:
    """torch.optim's one parameter group of n parameters, as a state_dict holds it."""
    return [{"lr": lr, "betas": betas, "eps": eps, "weight_decay": 0, "amsgrad": False,
             "maximize": False, **extra, "params": list(range(n))}]


class Adam:
    """Adam with constant betas and eps, no weight decay, the learning rate given to each step."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float],
                 eps: float):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.state: dict[int, dict[str, torch.Tensor]] = {}  # by parameter index, once it had a gradient

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def _state(self, i: int) -> dict[str, torch.Tensor]:
        if i not in self.state:
            p = self.params[i]
            # As torch.optim's fused Adam: the step count a float32 scalar on the parameter's device.
            self.state[i] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                             "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                             "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
        return self.state[i]

    @torch.no_grad()
    def step(self, lr: float) -> None:
        """One update of every parameter that has a gradient, with learning rate lr."""
        self.lr = lr
        groups: dict[tuple, list[int]] = {}  # the kernel takes one device and dtype per call
        for i, p in enumerate(self.params):
            if p.grad is not None:
                groups.setdefault((p.device, p.dtype), []).append(i)
        for idx in groups.values():
            states = [self._state(i) for i in idx]
            steps = [s["step"] for s in states]
            torch._foreach_add_(steps, 1)
            grads = [g for i in idx if (g := self.params[i].grad) is not None]  # all: see groups
            torch._fused_adam_([self.params[i] for i in idx], grads,
                               [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                               [], steps, amsgrad=False, lr=lr, beta1=self.betas[0],
                               beta2=self.betas[1], weight_decay=0.0, eps=self.eps, maximize=False,
                               grad_scale=None, found_inf=None)

    def state_dict(self) -> dict:
        return {"state": {i: dict(s) for i, s in self.state.items()},
                "param_groups": param_groups(self.lr, self.betas, self.eps, len(self.params),
                                             fused=True)}

    def load_state_dict(self, saved: dict) -> None:
        """The state is copied to each parameter's device (saved stays as it was); the moments
        take its dtype, the step count stays float32 (torch.optim's rule for a fused Adam)."""
        self.lr = saved["param_groups"][0]["lr"]
        self.state = {}
        for i, s in saved["state"].items():
            p = self.params[int(i)]
            self.state[int(i)] = {
                "step": s["step"].to(dtype=torch.float32, device=p.device, copy=True),
                "exp_avg": s["exp_avg"].to(dtype=p.dtype, device=p.device, copy=True),
                "exp_avg_sq": s["exp_avg_sq"].to(dtype=p.dtype, device=p.device, copy=True)}
