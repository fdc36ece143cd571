"""Depthwise convolution and max-pool on (B, C, T) tensors stored time-major ((B, T, C) memory).

Layer norm and 1x1 convolutions are fastest on time-major memory (``F.layer_norm`` and
``F.linear`` on a (B, T, C) view need no copy), so the CPU kernels keep activations in that
layout between layers. Seen as (B, C, 1, T), such a tensor is exactly a channels-last image,
which the CPU's oneDNN (and cuDNN) kernels take natively: the depthwise convolutions and the
skip max-pool run as their 2-D versions on that view, forward and backward, with no reordering
copy, and give time-major outputs. (Hand-written shifted multiply-adds were as fast forward but
3-10x slower backward, their in-place updates of slices costing autograd full copies.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def depthwise_conv_tm(x: torch.Tensor, weight: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Depthwise "same" convolution (odd kernel k, padding k // 2, no bias): x (B, C, T),
    weight (C, 1, k) -> (B, C, T // stride), time-major when x is."""
    c, _, k = weight.shape
    # view, not unsqueeze: the weight's gradient then keeps the weight's strides (DDP checks them)
    out = F.conv2d(x.unsqueeze(2), weight.view(c, 1, 1, k), None, stride=(1, stride), padding=(0, k // 2), groups=c)
    return out.squeeze(2)


def max_pool_tm(x: torch.Tensor, kernel_size: int, stride: int, padding: int) -> torch.Tensor:
    """MaxPool1d (-inf padding): x (B, C, T) -> (B, C, T_out), time-major when x is."""
    return F.max_pool2d(x.unsqueeze(2), (1, kernel_size), (1, stride), (0, padding)).squeeze(2)
