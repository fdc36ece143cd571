"""k-tap convolutions with few output channels as one matrix product over all taps.

The heads' last layers map 512 channels to a handful (20 classes, 2 offsets) with a 3-tap
kernel. A direct convolution of such a narrow output runs far below the cores' peak, and on
time-major memory the CPU convolution first copies its input into channel-major order, which
costs more than the convolution itself. Here every tap's product is computed at once,
``z = x @ [W_0; W_1; ...; W_(k-1)]^T`` (one pass over the input, k x C_out columns), and the
output step t sums ``z[t + j - k // 2, tap j]`` over the taps: shifted additions over the small
(T, k x C_out) result. Autograd derives both backward products from the same two operations.

Tensors are time-major: input (B, T, C_in), output (B, T, C_out); the convolution pads
``k // 2`` zero steps at each end, as ``nn.Conv1d(kernel_size=k, padding=k // 2)``.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F


def tap_products_conv(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``conv1d(x, weight, bias, padding=k // 2)`` for x (B, T, C_in) and weight (C_out, C_in, k),
    k odd, computed as one matrix product over all taps -> (B, T, C_out)."""
    c_out, c_in, k = weight.shape
    if x.dim() != 3 or x.shape[-1] != c_in or k % 2 != 1:
        raise ValueError(
            f"tap_products_conv needs x (B, T, C_in) and an odd-tap weight (C_out, C_in, k), "
            f"got {tuple(x.shape)} and {tuple(weight.shape)}"
        )
    b, t, _ = x.shape
    centre = k // 2
    # rows tap-major: (k, C_out, C_in) -> (k C_out, C_in)
    z = F.linear(x, weight.permute(2, 0, 1).reshape(k * c_out, c_in)).view(b, t, k, c_out)
    # a fresh tensor to accumulate into
    out = z[:, :, centre].clone() if bias is None else z[:, :, centre] + bias
    for tap in range(k):
        shift = tap - centre  # output t reads input t + shift
        if tap == centre or abs(shift) >= t:
            continue
        if shift < 0:
            out[:, -shift:] += z[:, : t + shift, tap]
        else:
            out[:, : t - shift] += z[:, shift:, tap]
    return out
