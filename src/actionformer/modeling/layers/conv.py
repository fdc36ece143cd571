"""Masked 1-D convolutions on (B, C, T) features with (B, 1, T) boolean masks (True = valid)."""

from __future__ import annotations

from typing import Tuple, Type

import torch
from torch import nn

from .masking import apply_mask


def downsample_mask(mask: torch.Tensor, stride: int) -> torch.Tensor:
    """Nearest-neighbour downsampling of a (B, 1, T) mask by an integer stride (keeps t = 0, s, 2s...)."""
    return mask[..., ::stride] if stride > 1 else mask


class MaskedConv1D(nn.Module):
    """A Conv1d whose output is zeroed where the (downsampled) mask is False.

    Only "same" convolutions with an odd kernel are supported (padding = kernel_size // 2), so
    output step t is aligned with input step t * stride. The parameters live in ``self.conv``
    (state-dict keys ``<name>.conv.weight`` / ``.conv.bias`` as in the original release).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1 or kernel_size // 2 != padding:
            raise ValueError(
                f"MaskedConv1D needs an odd kernel and padding = kernel_size // 2, "
                f"got kernel_size={kernel_size}, padding={padding}"
            )
        self.stride = stride
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)
        if bias:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        self.check_length(x)
        out_mask = downsample_mask(mask, self.stride)
        return apply_mask(self.conv(x), out_mask), out_mask

    def check_length(self, x: torch.Tensor) -> None:
        if x.shape[-1] % self.stride != 0:
            raise ValueError(f"sequence length {x.shape[-1]} is not divisible by the stride {self.stride}")


class Conv1x1(nn.Conv1d):
    """A plain 1x1 Conv1d (same parameters and keys as the original's); its own class so that the
    CPU kernels can recognise it (they compute it as one matrix product on time-major memory)."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)


class ConvBlock(nn.Module):
    """A ResNet-style basic block of two masked k-convs with an optional strided 1x1 shortcut."""

    def __init__(
        self,
        n_embd: int,
        kernel_size: int = 3,
        n_ds_stride: int = 1,
        expansion_factor: int = 2,
        n_out: int | None = None,
        act_layer: Type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1 or kernel_size <= 1:
            raise ValueError(f"ConvBlock needs an odd kernel size > 1, got {kernel_size}")
        padding = kernel_size // 2
        n_out = n_embd if n_out is None else n_out
        width = n_embd * expansion_factor
        self.conv1 = MaskedConv1D(n_embd, width, kernel_size, n_ds_stride, padding=padding)
        self.conv2 = MaskedConv1D(width, n_out, kernel_size, 1, padding=padding)
        self.downsample = MaskedConv1D(n_embd, n_out, 1, n_ds_stride) if n_ds_stride > 1 else None
        self.act = act_layer()

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        out, out_mask = self.conv1(x, mask)
        out, out_mask = self.conv2(self.act(out), out_mask)
        identity = x if self.downsample is None else self.downsample(x, mask)[0]
        return self.act(out + identity), out_mask
