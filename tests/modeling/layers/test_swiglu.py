"""SwiGLU against its definition; hidden-size rounding keeps parameters comparable."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from actionformer.modeling.layers.swiglu import SwiGLU, swiglu_hidden_dim


def test_matches_definition():
    ffn = SwiGLU(6, 10, out_channels=5)
    for p in ffn.parameters():
        torch.nn.init.normal_(p)  # biases start at zero; make them matter
    x = torch.randn(2, 6, 7)  # (B, C, T)
    w = ffn.gate_up.weight  # (2 * hidden, C)
    b = ffn.gate_up.bias
    w_gate, w_up, b_gate, b_up = w[:10], w[10:], b[:10], b[10:]
    xt = x.transpose(1, 2)  # (B, T, C)
    hidden = F.silu(xt @ w_gate.T + b_gate) * (xt @ w_up.T + b_up)  # (B, T, hidden)
    expected = hidden @ ffn.down.weight.T + ffn.down.bias  # (B, T, out)
    torch.testing.assert_close(ffn(x), expected.transpose(1, 2), atol=1e-6, rtol=1e-5)


def test_hidden_dim_rounding_keeps_parameters_comparable():
    assert swiglu_hidden_dim(2048) == 1408
    assert swiglu_hidden_dim(1024) == 704
    assert swiglu_hidden_dim(100, multiple_of=8) == 72
    for channels in (256, 512):
        mlp_params = 2 * channels * 4 * channels
        swiglu_params = 3 * channels * swiglu_hidden_dim(4 * channels)
        assert abs(swiglu_params - mlp_params) / mlp_params < 0.1
    with pytest.raises(ValueError):
        swiglu_hidden_dim(0)


def test_dropout_only_in_training():
    ffn = SwiGLU(4, 8, dropout=0.5)
    x = torch.randn(1, 4, 50)
    ffn.eval()
    torch.testing.assert_close(ffn(x), ffn(x))
    ffn.train()
    assert not torch.allclose(ffn(x), ffn(x))


def test_gradients_match_finite_differences_in_float64():
    ffn = SwiGLU(4, 6).double()
    for p in ffn.parameters():
        torch.nn.init.normal_(p)
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ffn, (x,))
    params = tuple(ffn.parameters())
    assert torch.autograd.gradcheck(
        lambda *ps: torch.func.functional_call(ffn, dict(zip(
            [n for n, _ in ffn.named_parameters()], ps)), (x,)), params)
