"""MaskedConv1D's Winograd fast path (k = 3, C >= 32) against the reference path (fast kernels off)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.layers import MaskedConv1D, fast_kernels
from actionformer.modeling.layers import conv as conv_module


@pytest.fixture
def winograd_calls(monkeypatch):
    """Counts calls of winograd_conv3 made by MaskedConv1D (so each test knows which path ran)."""
    calls = []
    original = conv_module.winograd_conv3

    def spy(x, *args, **kwargs):
        calls.append((tuple(x.shape), kwargs.get("chunk")))
        return original(x, *args, **kwargs)

    monkeypatch.setattr(conv_module, "winograd_conv3", spy)
    return calls


def make_conv(c_in=32, c_out=48, bias=True):
    conv = MaskedConv1D(c_in, c_out, 3, padding=1, bias=bias)
    if bias:
        with torch.no_grad():
            conv.conv.bias.normal_()  # initialised to zeros: make the bias count
    return conv


def masked_batch(c=32, t=23, lengths=(23, 15)):
    x = torch.randn(len(lengths), c, t)
    mask = torch.arange(t)[None, None, :] < torch.tensor(lengths)[:, None, None]
    return x, mask


def run(conv, x, mask, grad_out):
    """Output and the gradients of x / weight / bias for one forward + backward."""
    x = x.detach().clone().requires_grad_(True)
    conv.zero_grad(set_to_none=True)
    out, out_mask = conv(x, mask)
    out.backward(grad_out)
    grads = [x.grad, conv.conv.weight.grad] + ([conv.conv.bias.grad] if conv.conv.bias is not None else [])
    return out.detach(), out_mask, grads


@pytest.mark.parametrize("lengths", [(23, 15), (23, 23), (6, 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_fast_path_with_autograd_matches_reference(winograd_calls, lengths, bias):
    conv = make_conv(bias=bias)
    x, mask = masked_batch(lengths=lengths)
    grad_out = torch.randn(len(lengths), 48, 23)
    fast_out, fast_mask, fast_grads = run(conv, x, mask, grad_out)
    assert winograd_calls, "the Winograd path was not taken"
    calls = len(winograd_calls)
    with fast_kernels(False):
        ref_out, ref_mask, ref_grads = run(conv, x, mask, grad_out)
    assert len(winograd_calls) == calls  # the reference path does not use it
    assert torch.equal(fast_mask, ref_mask)
    torch.testing.assert_close(fast_out, ref_out, atol=1e-5, rtol=1e-5)
    assert torch.count_nonzero(fast_out * ~mask) == 0  # invalid steps are zero
    for ours, ref in zip(fast_grads, ref_grads):
        torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("lengths", [(23, 15), (23, 23)])
def test_fast_path_without_autograd_matches_reference(winograd_calls, lengths):
    conv = make_conv()
    x, mask = masked_batch(lengths=lengths)
    with torch.no_grad():
        fast_out, fast_mask = conv(x, mask)
        assert winograd_calls
        with fast_kernels(False):
            ref_out, ref_mask = conv(x, mask)
    assert fast_out.shape == (len(lengths), 48, 23)
    assert torch.equal(fast_mask, ref_mask)
    torch.testing.assert_close(fast_out, ref_out, atol=1e-5, rtol=1e-5)
    assert torch.count_nonzero(fast_out * ~mask) == 0


def test_fast_path_not_taken_outside_its_conditions(winograd_calls):
    x, mask = masked_batch(c=16)
    MaskedConv1D(16, 48, 3, padding=1)(x, mask)  # fewer than 32 input channels
    x, mask = masked_batch(c=32, t=24, lengths=(24, 10))
    MaskedConv1D(32, 32, 3, stride=2, padding=1)(x, mask)  # strided
    MaskedConv1D(32, 32, 5, padding=2)(x, mask)  # 5 taps
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = MaskedConv1D(32, 32, 3, padding=1)(x, mask)  # under autocast: conv1d in bf16
    assert out.dtype == torch.bfloat16
    assert winograd_calls == []


@pytest.mark.parametrize("chunk,t", [(5, 23), (1, 7), (4, 20), (7, 23), (22, 23)])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_chunked_inference_equals_unchunked(winograd_calls, chunk, t, dtype):
    conv = make_conv().to(dtype)
    x, mask = masked_batch(t=t, lengths=(t, t - 4))
    x = x.to(dtype)
    with torch.no_grad():
        whole, _ = conv(x, mask)
        assert len(winograd_calls) == 1
        conv.inference_chunk = chunk
        chunked, _ = conv(x, mask)
        assert winograd_calls[-1][1] == chunk  # the chunked path ran
        with fast_kernels(False):
            reference, _ = conv(x, mask)  # the reference path with a small chunk: plain conv1d chunks
    # chunks are whole Winograd tiles, so only the matrix products' blocking (which depends on
    # the number of rows) rounds differently in float32; float64 shows the maths is the same
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(chunked, whole, atol=tol, rtol=tol)
    torch.testing.assert_close(chunked, reference, atol=tol, rtol=tol)


def test_chunking_is_per_instance_and_not_used_with_autograd(winograd_calls):
    conv = make_conv().double()
    conv.inference_chunk = 5
    assert MaskedConv1D.inference_chunk == 8192  # the class default is untouched
    x, mask = masked_batch()
    x = x.double()
    out, _ = conv(x, mask)  # autograd on: one pass
    assert winograd_calls[-1][1] is None
    with torch.no_grad():
        chunked, _ = conv(x, mask)
    assert winograd_calls[-1][1] == 5
    torch.testing.assert_close(chunked, out.detach(), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("through_data", [False, True], ids=["in-place", "via-.data"])
def test_weight_changes_are_always_seen_without_autograd(through_data):
    """No stale transformed kernel: in-place writes, even through ``.data`` (which leaves the
    version counter alone), change the next output."""
    conv = make_conv()
    x, mask = masked_batch()
    with torch.no_grad():
        first, _ = conv(x, mask)
        (conv.conv.weight.data if through_data else conv.conv.weight).mul_(2)
        doubled, _ = conv(x, mask)
        with fast_kernels(False):
            reference, _ = conv(x, mask)
    torch.testing.assert_close(doubled, reference, atol=1e-5, rtol=1e-5)
    bias = conv.conv.bias[None, :, None] * mask
    torch.testing.assert_close(doubled - bias, 2 * (first - bias), atol=1e-5, rtol=1e-5)


def test_follows_load_state_dict_and_dtype():
    conv, other = make_conv(), make_conv()
    x, mask = masked_batch()
    with torch.no_grad():
        conv(x, mask)
        conv.load_state_dict(other.state_dict())  # copy_ into the same storage
        loaded, _ = conv(x, mask)
        expected, _ = other(x, mask)
        torch.testing.assert_close(loaded, expected, atol=0, rtol=0)

        conv.double()
        as_double, _ = conv(x.double(), mask)
        with fast_kernels(False):
            reference, _ = conv(x.double(), mask)
    assert as_double.dtype == torch.float64
    torch.testing.assert_close(as_double, reference, atol=1e-10, rtol=1e-10)
