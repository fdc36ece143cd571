"""Time-major depthwise convolution and max-pool equal their channel-major PyTorch counterparts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from actionformer.modeling.kernels.channels_last import depthwise_conv_tm, max_pool_tm

CASES = [(t, k, s) for t in (1, 2, 4, 5, 8, 9, 16) for k, s in ((3, 1), (3, 2), (5, 1), (5, 2), (5, 4)) if t % s == 0]


def time_major(b: int, t: int, c: int, seed: int = 0) -> torch.Tensor:
    """(B, C, T) view of (B, T, C) memory, as the fast path keeps activations."""
    return torch.randn(b, t, c, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)).transpose(1, 2)


@pytest.mark.parametrize("t,k,stride", CASES)
def test_depthwise_equals_conv1d(t, k, stride):
    x, w = time_major(2, t, 6), torch.randn(6, 1, k, dtype=torch.float64)
    expected = F.conv1d(x, w, stride=stride, padding=k // 2, groups=6)
    out = depthwise_conv_tm(x, w, stride)
    assert out.shape == expected.shape
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("t,k,stride", [(5, 3, 1), (8, 3, 2), (8, 5, 4), (1, 3, 1)])
def test_depthwise_gradients(t, k, stride):
    x = time_major(2, t, 3).requires_grad_(True)
    w = torch.randn(3, 1, k, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: depthwise_conv_tm(a, b, stride), (x, w))


@pytest.mark.parametrize("t,k,stride", [(t, k, s) for t, k, s in CASES if k == s + 1 or s == 1])
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "autograd"])
def test_max_pool_equals_max_pool1d(t, k, stride, grad):
    x = time_major(2, t, 4).requires_grad_(grad)
    padding = k // 2
    with torch.set_grad_enabled(grad):
        out = max_pool_tm(x, k, stride, padding)
    expected = F.max_pool1d(x, k, stride, padding)
    assert out.shape == expected.shape
    assert torch.equal(out, expected)
    if grad:
        g = torch.randn_like(expected)
        (ours,) = torch.autograd.grad(out, x, g)
        (theirs,) = torch.autograd.grad(expected, x, g)
        torch.testing.assert_close(ours, theirs, atol=0, rtol=0)


def test_outputs_stay_time_major():
    """The fast path's next layers read (B, T, C) memory: the outputs keep that layout."""
    x = time_major(2, 16, 8).float()
    w = torch.randn(8, 1, 3)
    for out in (depthwise_conv_tm(x, w, 1), depthwise_conv_tm(x, w, 2), max_pool_tm(x, 3, 2, 1)):
        assert out.transpose(1, 2).is_contiguous()


def test_depthwise_weight_gradient_keeps_the_weight_strides():
    """DDP compares each gradient's strides with its parameter's (a mismatch is a warning and a
    copy every step)."""
    x = time_major(2, 16, 8).float()
    w = torch.randn(8, 1, 3, requires_grad=True)
    depthwise_conv_tm(x, w, 1).sum().backward()
    assert w.grad.stride() == w.stride()
