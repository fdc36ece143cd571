"""CpuMaskedConv1D's kernels (Winograd for k = 3, C >= 32; chunked inference...) against the
standard MaskedConv1D forward on the same parameters."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.kernels import conv as conv_module
from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.conv import CpuMaskedConv1D
from actionformer.modeling.layers import MaskedConv1D


def cpu_conv(*args, **kwargs) -> MaskedConv1D:
    """A MaskedConv1D converted to its CPU variant."""
    conv = MaskedConv1D(*args, **kwargs)
    assert use_cpu_kernels(conv) == 1 and isinstance(conv, CpuMaskedConv1D)
    return conv


def standard(conv, x, mask):
    """The standard formulation on the same module (its parameters, its state)."""
    return MaskedConv1D.forward(conv, x, mask)


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
    conv = cpu_conv(c_in, c_out, 3, padding=1, bias=bias)
    if bias:
        with torch.no_grad():
            conv.conv.bias.normal_()  # initialised to zeros: make the bias count
    return conv


def masked_batch(c=32, t=23, lengths=(23, 15)):
    x = torch.randn(len(lengths), c, t)
    mask = torch.arange(t)[None, None, :] < torch.tensor(lengths)[:, None, None]
    return x, mask


def run(conv, x, mask, grad_out, forward=None):
    """Output and the gradients of x / weight / bias for one forward + backward."""
    x = x.detach().clone().requires_grad_(True)
    conv.zero_grad(set_to_none=True)
    out, out_mask = (forward or conv)(x, mask)
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
    ref_out, ref_mask, ref_grads = run(conv, x, mask, grad_out, lambda x, m: standard(conv, x, m))
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
        ref_out, ref_mask = standard(conv, x, mask)
    assert fast_out.shape == (len(lengths), 48, 23)
    assert torch.equal(fast_mask, ref_mask)
    torch.testing.assert_close(fast_out, ref_out, atol=1e-5, rtol=1e-5)
    assert torch.count_nonzero(fast_out * ~mask) == 0


def test_fast_path_not_taken_outside_its_conditions(winograd_calls):
    x, mask = masked_batch(c=16)
    cpu_conv(16, 48, 3, padding=1)(x, mask)  # fewer than 32 input channels
    x, mask = masked_batch(c=32, t=24, lengths=(24, 10))
    cpu_conv(32, 32, 3, stride=2, padding=1)(x, mask)  # strided
    cpu_conv(32, 32, 5, padding=2)(x, mask)  # 5 taps
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = cpu_conv(32, 32, 3, padding=1)(x, mask)  # under autocast: conv1d in bf16
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
        reference, _ = standard(conv, x, mask)  # the standard path: one plain conv1d
    # chunks are whole Winograd tiles, so only the matrix products' blocking (which depends on
    # the number of rows) rounds differently in float32; float64 shows the maths is the same
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(chunked, whole, atol=tol, rtol=tol)
    torch.testing.assert_close(chunked, reference, atol=tol, rtol=tol)


def test_chunking_is_per_instance_and_not_used_with_autograd(winograd_calls):
    conv = make_conv().double()
    conv.inference_chunk = 5
    assert CpuMaskedConv1D.inference_chunk == 8192  # the class default is untouched
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
        reference, _ = standard(conv, x, mask)
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
        reference, _ = standard(conv, x.double(), mask)
    assert as_double.dtype == torch.float64
    torch.testing.assert_close(as_double, reference, atol=1e-10, rtol=1e-10)


def test_other_devices_run_the_standard_formulation(winograd_calls):
    """A converted layer moved off the CPU (here to the meta device, as a model moved to a GPU)
    runs its parent's forward: no CPU kernel sees the input."""
    conv = make_conv().to("meta")
    x, mask = masked_batch()
    out, out_mask = conv(x.to("meta"), mask.to("meta"))
    assert out.device.type == "meta" and out.shape == (2, 48, 23) and out.is_contiguous()
    assert winograd_calls == []


@pytest.mark.parametrize(
    "args, kernel",
    [
        ((32, 48, 3, 1, 1), "_winograd"), ((48, 20, 3, 1, 1), "_narrow"), ((48, 20, 5, 1, 2), "_narrow"),
        ((32, 32, 1, 2, 0), "_pointwise"), ((32, 32, 3, 2, 1), "_direct"), ((32, 64, 5, 1, 2), "_direct"),
    ],
)
def test_kernel_is_chosen_at_conversion(args, kernel):
    assert cpu_conv(*args)._kernel == kernel
    depthwise = cpu_conv(16, 16, 3, 2, 1, groups=16, bias=False)
    assert depthwise._kernel == "_depthwise"
