"""CpuLayerNorm (fused kernel on a time-major view) against the standard channel layer norm."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.norm import CpuLayerNorm
from actionformer.modeling.layers import LayerNorm


@pytest.mark.parametrize("time_major", [False, True])
def test_equals_the_standard_formula_with_gradients(time_major):
    norm = LayerNorm(8)
    with torch.no_grad():
        norm.weight.normal_(), norm.bias.normal_()
    use_cpu_kernels(norm)
    assert isinstance(norm, CpuLayerNorm)
    x = torch.randn(2, 5, 8).transpose(1, 2) if time_major else torch.randn(2, 8, 5)
    x = x.detach().requires_grad_(True)
    ours = norm(x)
    theirs = LayerNorm.forward(norm, x)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    if time_major:
        assert ours.transpose(1, 2).is_contiguous()  # stays time-major: no copy
    g1 = torch.autograd.grad(ours.square().sum(), [x, norm.weight, norm.bias])
    g2 = torch.autograd.grad(theirs.square().sum(), [x, norm.weight, norm.bias])
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_rejects_wrong_channels():
    norm = LayerNorm(8)
    use_cpu_kernels(norm)
    with pytest.raises(ValueError, match="expects"):
        norm(torch.randn(2, 4, 5))
