"""RMSNorm over the channel axis of channel-first sequences (B, C, T)."""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

_HALF = (torch.float16, torch.bfloat16)


class RMSNorm(nn.Module):
    """Root-mean-square normalization over channels, with a learned per-channel gain.

    ``y = x / sqrt(mean_c(x^2) + eps) * weight``: no mean subtraction and no bias, so it is
    cheaper than LayerNorm (one reduction instead of two). Statistics are computed in float32
    even under bf16/fp16 autocast, because the mean of squares overflows or loses precision in
    half precision; the result is cast back to the input dtype.

    Backward is written out (:class:`_RMSNormFunction`) so that training keeps only the input
    and the (B, 1, T) inverse RMS, like the fused LayerNorm; plain autograd would also keep the
    normalized tensor, one more activation of the full size per norm.
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
        return _RMSNormFunction.apply(x, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_channels}, eps={self.eps}, affine={self.weight is not None}"


class _RMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: Optional[torch.Tensor], eps: float) -> torch.Tensor:
        wide = x.float() if x.dtype in _HALF else x
        # one fused pass for sum_c(x^2) (a norm), instead of pow + mean
        sum_sq = torch.linalg.vector_norm(wide, dim=1, keepdim=True).square_()  # (B, 1, T)
        inv_rms = torch.rsqrt(sum_sq.div_(x.shape[1]).add_(eps))  # (B, 1, T)
        out = wide * inv_rms
        if weight is not None:
            out.mul_(weight.to(out.dtype))
        ctx.save_for_backward(x, weight, inv_rms)
        return out.to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, weight, inv_rms = ctx.saved_tensors
        wide = x.float() if x.dtype in _HALF else x
        grad = grad_out.to(wide.dtype)
        x_hat = wide * inv_rms  # recomputed rather than stored; ours to modify
        grad_weight = None
        if weight is not None:
            if ctx.needs_input_grad[1]:
                grad_weight = (grad * x_hat).sum(dim=(0, 2), keepdim=True).to(weight.dtype)
            grad = grad * weight.to(grad.dtype)  # a new tensor: ours to modify
        elif grad is grad_out:
            grad = grad.clone()
        if not ctx.needs_input_grad[0]:
            return None, grad_weight, None
        # d/dx of x * r(x): r * (g - x_hat * mean_c(g * x_hat)), in place on our temporaries
        # so that the backward needs two full-size buffers, not five
        dot = (grad * x_hat).mean(dim=1, keepdim=True)  # (B, 1, T)
        grad_x = grad.sub_(x_hat.mul_(dot)).mul_(inv_rms)
        return grad_x.to(x.dtype), grad_weight, None
