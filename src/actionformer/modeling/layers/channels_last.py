"""Fast kernels that work on (B, C, T) tensors stored time-major ((B, T, C) in memory).

Layer norm and 1x1 convolutions are fastest on time-major memory (``F.layer_norm`` and
``F.linear`` on a (B, T, C) view need no copy), so our fast path keeps activations in that
layout between layers; the kernels here avoid converting back to channel-major for depthwise
convolutions and max pooling. Each returns a (B, C, T') view of a time-major tensor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _tap_range(offset: int, stride: int, length: int, t_out: int) -> tuple:
    """Outputs t whose tap reads x[stride * t + offset] inside 0 .. length - 1: (t_lo, t_hi)."""
    t_lo = -(-max(0, -offset) // stride)
    t_hi = min(t_out, (length - 1 - offset) // stride + 1)
    return t_lo, max(t_lo, t_hi)


def depthwise_conv_tm(x: torch.Tensor, weight: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """Depthwise "same" convolution (odd kernel k, padding k // 2, no bias) as k shifted
    multiply-adds on time-major memory. x: (B, C, T); weight: (C, 1, k) -> (B, C, T // stride).

    Taps that would read the zero padding are left out instead of padding a copy of x."""
    k, pad, t = weight.shape[-1], weight.shape[-1] // 2, x.shape[-1]
    t_out = (t - 1) // stride + 1
    xt = x.transpose(1, 2)  # (B, T, C) view
    w = weight[:, 0, :].t()  # (k, C)
    out = xt[:, 0 : (t_out - 1) * stride + 1 : stride] * w[pad]  # the centre tap reads every output
    for j in range(k):
        offset = j - pad
        lo, hi = _tap_range(offset, stride, t, t_out)
        if j == pad or lo >= hi:
            continue
        start = stride * lo + offset
        out[:, lo:hi].addcmul_(xt[:, start : start + (hi - lo - 1) * stride + 1 : stride], w[j])
    return out.transpose(1, 2)  # (B, C, T') view of (B, T', C)


def max_pool_tm(x: torch.Tensor, kernel_size: int, stride: int, padding: int) -> torch.Tensor:
    """MaxPool1d (-inf padding) on time-major memory. x: (B, C, T) -> (B, C, T_out).

    Window positions in the padding are left out (they hold -inf, which never wins a max)."""
    t = x.shape[-1]
    t_out = (t + 2 * padding - kernel_size) // stride + 1
    if torch.is_grad_enabled():
        # in-place maxima would overwrite what autograd keeps for the backward: pad a copy
        xt = F.pad(x.transpose(1, 2), (0, 0, padding, padding), value=float("-inf"))  # (B, T + 2p, C)
        span = (t_out - 1) * stride + 1
        out = xt[:, 0:span:stride]
        for j in range(1, kernel_size):
            out = torch.maximum(out, xt[:, j : j + span : stride])
        return out.transpose(1, 2)
    xt = x.transpose(1, 2)  # (B, T, C) view
    out = None
    for j in range(kernel_size):
        offset = j - padding
        lo, hi = _tap_range(offset, stride, t, t_out)
        if lo >= hi:
            continue
        start = stride * lo + offset
        tap = xt[:, start : start + (hi - lo - 1) * stride + 1 : stride]
        if out is None and (lo, hi) == (0, t_out):
            out = tap.clone()
        elif out is None:
            out = xt.new_full((xt.shape[0], t_out, xt.shape[2]), float("-inf"))
            out[:, lo:hi] = tap
        else:
            torch.maximum(out[:, lo:hi], tap, out=out[:, lo:hi])
    return out.transpose(1, 2)
