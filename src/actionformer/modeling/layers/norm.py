"""Layer normalization over the channel axis of (B, C, T) tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .fastpath import fast_kernels_enabled


class LayerNorm(nn.Module):
    """LayerNorm over C for inputs of shape (B, C, T); parameters shaped (1, C, 1) as the original."""

    def __init__(self, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(1, num_channels, 1))
            self.bias = nn.Parameter(torch.zeros(1, num_channels, 1))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.num_channels:
            raise ValueError(f"LayerNorm expects (B, {self.num_channels}, T), got {tuple(x.shape)}")
        if fast_kernels_enabled():
            weight = self.weight.view(-1) if self.affine else None
            bias = self.bias.view(-1) if self.affine else None
            # (B, C, T) -> (B, T, C) view, fused kernel, -> (B, C, T) view
            return F.layer_norm(x.transpose(1, 2), (self.num_channels,), weight, bias, self.eps).transpose(1, 2)
        mu = x.mean(dim=1, keepdim=True)
        centred = x - mu
        var = (centred * centred).mean(dim=1, keepdim=True)
        out = centred / torch.sqrt(var + self.eps)
        if self.affine:
            out = out * self.weight + self.bias
        return out
