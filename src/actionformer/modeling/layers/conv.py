"""Masked 1-D convolutions on (B, C, T) features with (B, 1, T) boolean masks (True = valid)."""

from __future__ import annotations

from typing import Optional, Tuple, Type

import torch
import torch.nn.functional as F
from torch import nn

from .channels_last import depthwise_conv_tm
from .fastpath import fast_kernels_enabled
from .masking import apply_mask, mask_is_full
from .tap_products import tap_products_conv
from .winograd import winograd_applies, winograd_conv3


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
        self._pointwise = kernel_size == 1 and groups == 1 and dilation == 1
        self._depthwise = groups == in_channels == out_channels and dilation == 1 and not bias and kernel_size > 1
        # Winograd pays off once the products dominate its transforms (not for the 2-channel
        # regression output, say)
        self._winograd = (
            kernel_size == 3 and groups == 1 and dilation == 1 and stride == 1 and min(in_channels, out_channels) >= 32
        )
        # the other dense "same" convolutions with a narrow output (the heads' last layers)
        self._narrow = (
            kernel_size > 1 and groups == 1 and dilation == 1 and stride == 1 and not self._winograd
            and out_channels < 32
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if x.shape[-1] % self.stride != 0:
            raise ValueError(f"sequence length {x.shape[-1]} is not divisible by the stride {self.stride}")
        if self._winograd and fast_kernels_enabled() and winograd_applies(x):
            # the mask is applied inside (a custom Function's output can't be modified in place)
            valid = None if mask_is_full(mask) else mask[:, 0].to(x.dtype)
            return self._winograd_conv(x, valid), mask  # (B, C, T) view of fresh time-major memory
        if self._narrow and fast_kernels_enabled() and x.device.type == "cpu" and x.transpose(1, 2).is_contiguous():
            # on time-major memory (the heads' towers give it) without the convolution's reordering copy
            out = tap_products_conv(x.transpose(1, 2), self.conv.weight, self.conv.bias).transpose(1, 2)
            return apply_mask(out, mask, inplace=True), mask
        if self._pointwise and fast_kernels_enabled():
            out = pointwise_conv(x[..., :: self.stride], self.conv.weight, self.conv.bias)
        elif self._depthwise and fast_kernels_enabled():
            out = depthwise_conv_tm(x, self.conv.weight, self.stride)
        elif self._chunkable(x):
            out = self._chunked_conv(x)
        else:
            out = self.conv(x)
        out_mask = downsample_mask(mask, self.stride)
        # every branch gives a fresh tensor that no backward keeps: mask it in place
        return apply_mask(out, out_mask, inplace=True), out_mask


    # without autograd, long sequences are convolved in chunks of this many steps (plus the
    # kernel's halo): the convolution's internal reordered copies of its input then stay small
    inference_chunk: int = 8192
    # without autograd, a Winograd run reads at most this many input elements (steps x channels)
    winograd_buffer_elements: int = 1 << 22

    def _winograd_conv(self, x: torch.Tensor, valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``self.conv(x)`` [times ``valid`` (B, T)] by Winograd F(4, 3): (B, C, T) in any memory
        order -> (B, C_out, T) view of time-major memory.

        Without autograd, long inputs go ``inference_chunk`` steps at a time (the transforms'
        buffers stay bounded; the result is the same)."""
        chunk = None
        if not torch.is_grad_enabled():
            # the transforms' buffers are 1.5x a run's input: wide inputs (the embedding's 2048
            # channels) take shorter runs
            chunk = min(self.inference_chunk, max(256, self.winograd_buffer_elements // x.shape[1]))
        # x.transpose(1, 2) is a (B, T, C) view: the transforms read it in place either way
        out = winograd_conv3(x.transpose(1, 2), self.conv.weight, self.conv.bias, chunk=chunk, mask=valid)
        return out.transpose(1, 2)

    def _chunkable(self, x: torch.Tensor) -> bool:
        return (
            fast_kernels_enabled() and not torch.is_grad_enabled() and self.stride == 1
            and x.shape[-1] > self.inference_chunk
        )

    def _chunked_conv(self, x: torch.Tensor) -> torch.Tensor:
        """Exactly ``self.conv(x)`` for a stride-1 "same" conv, computed chunk by chunk."""
        pad, t, step = self.conv.padding[0], x.shape[-1], self.inference_chunk
        xp = F.pad(x, (pad, pad))  # (B, C, T + 2p)
        weight, bias = self.conv.weight, self.conv.bias
        parts = [
            F.conv1d(xp[..., s : min(s + step, t) + 2 * pad], weight, bias, groups=self.conv.groups)
            for s in range(0, t, step)
        ]
        return torch.cat(parts, dim=-1)


def pointwise_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """A 1x1 Conv1d as one matrix product: (B, C_in, T) -> (B, C_out, T)."""
    w = weight.squeeze(-1)  # (C_out, C_in)
    if bias is None:
        return torch.matmul(w, x)
    # (B, T, C_in) @ (C_in, C_out) + b -> (B, T, C_out) -> (B, C_out, T) view
    return F.linear(x.transpose(1, 2), w, bias).transpose(1, 2)


class Conv1x1(nn.Conv1d):
    """A plain 1x1 Conv1d (same parameters and keys) computed as a matrix product."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if fast_kernels_enabled():
            return pointwise_conv(x, self.weight, self.bias)
        return super().forward(x)


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
