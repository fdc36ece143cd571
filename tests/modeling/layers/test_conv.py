"""The standard MaskedConv1D: nn.Conv1d, then zero where the (downsampled) mask is False."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.layers import MaskedConv1D


@pytest.mark.parametrize("stride", [1, 2])
def test_equals_conv1d_times_the_mask(stride):
    conv = MaskedConv1D(4, 6, 3, stride=stride, padding=1)
    x = torch.randn(2, 4, 8)
    mask = torch.ones(2, 1, 8, dtype=torch.bool)
    mask[1, :, 5:] = False
    out, out_mask = conv(x, mask)
    assert torch.equal(out_mask, mask[..., ::stride])
    torch.testing.assert_close(out, conv.conv(x) * out_mask.float())
    assert out.is_contiguous()


def test_rejects_lengths_not_divisible_by_the_stride_and_even_kernels():
    with pytest.raises(ValueError, match="divisible"):
        MaskedConv1D(4, 4, 3, stride=2, padding=1)(torch.randn(1, 4, 7), torch.ones(1, 1, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match="odd kernel"):
        MaskedConv1D(4, 4, 4, padding=2)
