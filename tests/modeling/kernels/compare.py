"""Forward and backward of a CPU variant against its standard layer, on the same input."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import torch


def output_and_grads(module: Any, x: torch.Tensor, mask: torch.Tensor,
                     seed: Optional[int] = None) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """``module(x, mask)[0]``, and the gradients of its squared sum w.r.t. x and every parameter
    (``seed``: set just before the forward, for the same random draws on both sides)."""
    if seed is not None:
        torch.manual_seed(seed)
    xi = x.clone().requires_grad_(True)
    out = module(xi, mask)[0]
    out.square().sum().backward()
    return out.detach(), [xi.grad] + [p.grad for p in module.parameters()]


def assert_same_forward_and_backward(standard: Any, cpu: Any, x: torch.Tensor, mask: torch.Tensor,
                                     seed: Optional[int] = None) -> None:
    out, grads = output_and_grads(standard, x, mask, seed)
    cpu_out, cpu_grads = output_and_grads(cpu, x, mask, seed)
    torch.testing.assert_close(cpu_out, out, atol=1e-5, rtol=1e-5)
    for ours, theirs in zip(cpu_grads, grads):
        torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)
