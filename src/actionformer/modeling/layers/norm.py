"""Layer normalization over the channel axis of (B, C, T) tensors."""

from __future__ import annotations

import torch
from torch import nn


class LayerNorm(nn.Module):
    """LayerNorm over C for inputs of shape (B, C, T); parameters shaped (1, C, 1) as the original.

    Computed as the original does, on the (B, C, T) layout itself: a fused ``F.layer_norm``
    would need a (B, T, C) view, which it copies whenever the memory is channel-major (the
    layout cuDNN's convolutions give and take). The CPU kernels keep time-major memory and use
    the fused kernel (``actionformer.modeling.kernels``).
    """

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

    def check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 3 or x.shape[1] != self.num_channels:
            raise ValueError(f"LayerNorm expects (B, {self.num_channels}, T), got {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        mu = x.mean(dim=1, keepdim=True)
        centred = x - mu
        var = (centred * centred).mean(dim=1, keepdim=True)
        out = centred / torch.sqrt(var + self.eps)
        if self.affine:
            out = out * self.weight + self.bias
        return out
