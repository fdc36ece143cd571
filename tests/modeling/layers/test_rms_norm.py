"""RMSNorm against its definition."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.layers.rms_norm import RMSNorm


def test_matches_definition():
    norm = RMSNorm(6, eps=1e-6)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(1, 6, 1))
    x = torch.randn(3, 6, 11)
    expected = x / torch.sqrt((x**2).mean(dim=1, keepdim=True) + 1e-6) * norm.weight
    torch.testing.assert_close(norm(x), expected)


def test_unit_rms_and_scale_invariance():
    norm = RMSNorm(16)
    x = torch.randn(2, 16, 5) * 3 + 1
    y = norm(x)
    torch.testing.assert_close(y.pow(2).mean(dim=1), torch.ones(2, 5), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(norm(10 * x), y, atol=1e-5, rtol=1e-5)
    assert y.mean(dim=1).abs().max() > 1e-2  # no centering, unlike LayerNorm


def test_bf16_computes_in_float32_and_keeps_dtype():
    norm = RMSNorm(8)
    x = torch.randn(2, 8, 4) * 1e3
    y = norm(x.bfloat16())
    assert y.dtype == torch.bfloat16 and torch.isfinite(y).all()
    torch.testing.assert_close(y.float(), norm(x), atol=2e-2, rtol=2e-2)


def test_no_affine_and_errors():
    assert RMSNorm(4, affine=False).weight is None
    with pytest.raises(ValueError, match="num_channels"):
        RMSNorm(0)
    with pytest.raises(ValueError, match=r"\(B, 4, T\)"):
        RMSNorm(4)(torch.randn(2, 5, 3))


def test_gradients_match_finite_differences_in_float64():
    norm = RMSNorm(5).double()
    torch.nn.init.normal_(norm.weight)
    x = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(norm, (x,))


def test_weight_gradient_and_bf16_backward():
    norm = RMSNorm(5).double()
    torch.nn.init.normal_(norm.weight)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    weight = norm.weight.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda w: torch.func.functional_call(norm, {"weight": w}, (x,)),
                                    (weight,))
    x16 = torch.randn(2, 5, 3, dtype=torch.bfloat16, requires_grad=True)
    RMSNorm(5)(x16).sum().backward()
    assert x16.grad.dtype == torch.bfloat16 and torch.isfinite(x16.grad.float()).all()


def test_gradients_without_affine_weight():
    norm = RMSNorm(4, affine=False)
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(norm, (x,))
