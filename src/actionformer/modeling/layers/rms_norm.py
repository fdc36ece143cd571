"""RMSNorm over the channel axis of channel-first sequences (B, C, T)."""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Root-mean-square normalization over channels, with a learned per-channel gain.

    ``y = x / sqrt(mean_c(x^2) + eps) * weight``: no mean subtraction and no bias, so it is
    cheaper than LayerNorm (one reduction instead of two). Statistics are computed in float32
    even under bf16/fp16 autocast, because the mean of squares overflows or loses precision in
    half precision; the result is cast back to the input dtype.
    """

    def __init__(self, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if num_channels <= 0:
            raise ValueError(f"RMSNorm: num_channels must be positive, got {num_channels}")
        self.num_channels = num_channels
        self.eps = eps
        # (1, C, 1) like the channel-first LayerNorm, so the two are interchangeable
        self.weight = nn.Parameter(torch.ones(1, num_channels, 1)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"RMSNorm expects (B, {self.num_channels}, T), got {tuple(x.shape)}"
            )
        x32 = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        inv_rms = torch.rsqrt(x32.pow(2).mean(dim=1, keepdim=True) + self.eps)  # (B, 1, T)
        out = x32 * inv_rms
        if self.weight is not None:
            out.mul_(self.weight.to(out.dtype))  # in place: the product above saved its own inputs
        return out.to(x.dtype)

    def extra_repr(self) -> str:
        return f"{self.num_channels}, eps={self.eps}, affine={self.weight is not None}"
