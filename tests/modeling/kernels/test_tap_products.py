"""tap_products_conv (narrow-output k-tap convolutions as one product over all taps) and its use
by MaskedConv1D for the heads' last layers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from actionformer.modeling.kernels import conv as conv_module
from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.tap_products import tap_products_conv
from actionformer.modeling.layers import MaskedConv1D


def cpu_conv(*args, **kwargs) -> MaskedConv1D:
    conv = MaskedConv1D(*args, **kwargs)
    use_cpu_kernels(conv)
    return conv


@pytest.mark.parametrize("kernel", [3, 5])
@pytest.mark.parametrize("length", [1, 2, 3, 17])
@pytest.mark.parametrize("with_bias", [True, False])
def test_equals_conv1d(kernel, length, with_bias):
    g = torch.Generator().manual_seed(kernel * 100 + length)
    x = torch.randn(2, length, 24, generator=g, dtype=torch.float64)
    weight = torch.randn(7, 24, kernel, generator=g, dtype=torch.float64)
    bias = torch.randn(7, generator=g, dtype=torch.float64) if with_bias else None
    expected = F.conv1d(x.transpose(1, 2), weight, bias, padding=kernel // 2).transpose(1, 2)
    torch.testing.assert_close(tap_products_conv(x, weight, bias), expected, atol=1e-12, rtol=1e-12)


def test_gradients():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 9, 6, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, 6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(tap_products_conv, (x, weight, bias))
    assert torch.autograd.gradcheck(lambda a, w: tap_products_conv(a, w), (x, weight))


def test_rejects_bad_shapes():
    with pytest.raises(ValueError, match="odd-tap weight"):
        tap_products_conv(torch.randn(1, 5, 4), torch.randn(2, 4, 2))
    with pytest.raises(ValueError, match=r"\(B, T, C_in\)"):
        tap_products_conv(torch.randn(1, 5, 3), torch.randn(2, 4, 3))


@pytest.fixture
def tap_calls(monkeypatch):
    calls = []
    original = conv_module.tap_products_conv

    def spy(x, *args):
        calls.append(tuple(x.shape))
        return original(x, *args)

    monkeypatch.setattr(conv_module, "tap_products_conv", spy)
    return calls


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "autograd"])
def test_masked_conv_narrow_output_on_time_major_input(tap_calls, grad):
    torch.manual_seed(0)
    conv = cpu_conv(48, 20, 3, padding=1)
    with torch.no_grad():
        conv.conv.bias.normal_()
    lengths = torch.tensor([23, 15])
    mask = (torch.arange(23)[None, :] < lengths[:, None])[:, None, :]
    x = torch.randn(2, 23, 48).transpose(1, 2)  # (B, C, T) view of time-major memory
    with torch.set_grad_enabled(grad):
        fast, fast_mask = conv(x, mask)
        assert tap_calls == [(2, 23, 48)]
        reference, _ = MaskedConv1D.forward(conv, x, mask)  # the standard formulation
    assert torch.equal(fast_mask, mask)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)
    assert fast[1, :, 15:].abs().sum() == 0  # padded steps are zero
    if grad:
        fast.square().sum().backward()
        fast_grad = conv.conv.weight.grad.clone()
        conv.conv.weight.grad = None
        reference.square().sum().backward()
        torch.testing.assert_close(fast_grad, conv.conv.weight.grad, atol=1e-4, rtol=1e-4)


def test_masked_conv_channel_major_input_keeps_the_convolution(tap_calls):
    conv = cpu_conv(48, 2, 3, padding=1)
    x, mask = torch.randn(1, 48, 10), torch.ones(1, 1, 10, dtype=torch.bool)
    with torch.no_grad():
        out, _ = conv(x, mask)
    assert tap_calls == []  # channel-major memory: the convolution reads it as it is
    torch.testing.assert_close(out, conv.conv(x))
    wide = cpu_conv(48, 64, 3, padding=1)  # wide outputs go to Winograd instead
    with torch.no_grad():
        wide(x.transpose(1, 2).contiguous().transpose(1, 2), mask)
    assert tap_calls == []
