"""Fast kernels that work on (B, C, T) tensors stored time-major ((B, T, C) in memory).

Layer norm and 1x1 convolutions are fastest on time-major memory (``F.layer_norm`` and
``F.linear`` on a (B, T, C) view need no copy), so our fast path keeps activations in that
layout between layers; the kernels here avoid converting back to channel-major for depthwise
convolutions and max pooling. Each returns a (B, C, T') view of a time-major tensor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def depthwise_conv_tm(x: torch.Tensor, weight: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Depthwise "same" convolution (odd kernel k, padding k // 2, no bias) as k shifted
    multiply-adds on time-major memory. x: (B, C, T); weight: (C, 1, k) -> (B, C, T // stride)."""
    k = weight.shape[-1]
    pad = k // 2
    t = x.shape[-1]
    xt = F.pad(x.transpose(1, 2), (0, 0, pad, pad))  # (B, T + 2p, C)
    w = weight[:, 0, :].t()  # (k, C)
    out = xt[:, 0 : t : stride] * w[0]
    for j in range(1, k):
        out = out.addcmul(xt[:, j : j + t : stride], w[j])
    return out.transpose(1, 2)  # (B, C, T') view of (B, T', C)


def max_pool_tm(x: torch.Tensor, kernel_size: int, stride: int, padding: int) -> torch.Tensor:
    """MaxPool1d (-inf padding) on time-major memory. x: (B, C, T) -> (B, C, T_out)."""
    t = x.shape[-1]
    t_out = (t + 2 * padding - kernel_size) // stride + 1
    xt = F.pad(x.transpose(1, 2), (0, 0, padding, padding), value=float("-inf"))  # (B, T + 2p, C)
    span = (t_out - 1) * stride + 1
    out = xt[:, 0:span:stride]
    for j in range(1, kernel_size):
        out = torch.maximum(out, xt[:, j : j + span : stride])
    return out.transpose(1, 2)
