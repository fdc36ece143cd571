"""CPU variants of the masked convolutions: Winograd, tap products, matrix products and
channels-last depthwise convolutions on time-major memory, chunked long inference."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from ..layers.conv import Conv1x1, MaskedConv1D, downsample_mask
from ..layers.masking import mask_is_full
from .channels_last import depthwise_conv_tm
from .dispatch import CpuVariant, cpu_variant, runs_here
from .masking import mask_fresh
from .tap_products import tap_products_conv
from .winograd import winograd_applies, winograd_conv3

# Winograd pays off once the products dominate its transforms (not for the 2-channel regression
# output, say); narrower dense outputs (the heads' last layers) go through tap products
WINOGRAD_MIN_CHANNELS = 32


def pointwise_conv(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
    """A 1x1 Conv1d as one matrix product: (B, C_in, T) -> (B, C_out, T), time-major with a bias."""
    w = weight.squeeze(-1)  # (C_out, C_in)
    if bias is None:
        return torch.matmul(w, x)
    # (B, T, C_in) @ (C_in, C_out) + b -> (B, T, C_out) -> (B, C_out, T) view
    return F.linear(x.transpose(1, 2), w, bias).transpose(1, 2)


def _kernel_for(conv: torch.nn.Conv1d, stride: int) -> str:
    """The name of the method that computes ``conv`` (static: the layer's shape alone)."""
    k, c_in, c_out = conv.kernel_size[0], conv.in_channels, conv.out_channels
    dense = conv.groups == 1 and conv.dilation[0] == 1
    if dense and k == 3 and stride == 1 and min(c_in, c_out) >= WINOGRAD_MIN_CHANNELS:
        return "_winograd"
    if dense and k > 1 and stride == 1 and c_out < WINOGRAD_MIN_CHANNELS:
        return "_narrow"
    if dense and k == 1:
        return "_pointwise"
    if conv.groups == c_in == c_out and conv.dilation[0] == 1 and conv.bias is None and k > 1:
        return "_depthwise"
    return "_direct"


@cpu_variant(MaskedConv1D)
class CpuMaskedConv1D(CpuVariant, MaskedConv1D):
    """MaskedConv1D with its kernel picked once, at conversion, from the layer's shape."""

    # without autograd, long sequences are convolved in chunks of this many steps (plus the
    # kernel's halo): the convolution's internal reordered copies of its input then stay small
    inference_chunk: int = 8192
    # without autograd, a Winograd run reads at most this many input elements (steps x channels)
    winograd_buffer_elements: int = 1 << 22
    _kernel: str

    @staticmethod
    def supports(module: MaskedConv1D) -> bool:
        return True  # every shape has a kernel, if only the chunked direct convolution

    def prepare(self) -> None:
        self._kernel = _kernel_for(self.conv, self.stride)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if not runs_here(x):
            return super().forward(x, mask)
        self.check_length(x)
        return getattr(self, self._kernel)(x, mask)

    def _masked(self, out: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        out_mask = downsample_mask(mask, self.stride)
        return mask_fresh(out, out_mask), out_mask

    def _winograd(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if not winograd_applies(x):  # dtype / autocast: known only now
            return self._direct(x, mask)
        # the mask is applied inside (a custom Function's output can't be modified in place)
        valid = None if mask_is_full(mask) else mask[:, 0].to(x.dtype)
        chunk = None
        if not torch.is_grad_enabled():
            # the transforms' buffers are 1.5x a run's input: wide inputs (the embedding's 2048
            # channels) take shorter runs
            chunk = min(self.inference_chunk, max(256, self.winograd_buffer_elements // x.shape[1]))
        # x.transpose(1, 2) is a (B, T, C) view: the transforms read it in place either way
        out = winograd_conv3(x.transpose(1, 2), self.conv.weight, self.conv.bias, chunk=chunk, mask=valid)
        return out.transpose(1, 2), mask  # (B, C, T) view of fresh time-major memory

    def _narrow(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if not x.transpose(1, 2).is_contiguous():  # only time-major memory avoids the conv's copy
            return self._direct(x, mask)
        out = tap_products_conv(x.transpose(1, 2), self.conv.weight, self.conv.bias).transpose(1, 2)
        return self._masked(out, mask)

    def _pointwise(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self._masked(pointwise_conv(x[..., :: self.stride], self.conv.weight, self.conv.bias), mask)

    def _depthwise(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self._masked(depthwise_conv_tm(x, self.conv.weight, self.stride), mask)

    def _direct(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        chunked = not torch.is_grad_enabled() and self.stride == 1 and x.shape[-1] > self.inference_chunk
        return self._masked(self._chunked_conv(x) if chunked else self.conv(x), mask)

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


@cpu_variant(Conv1x1)
class CpuConv1x1(CpuVariant, Conv1x1):
    """Conv1x1 as one matrix product, time-major output (what layer norm and the next 1x1 want)."""

    @staticmethod
    def supports(module: Conv1x1) -> bool:
        return module.groups == 1 and module.stride[0] == 1 and module.dilation[0] == 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not runs_here(x):
            return super().forward(x)
        return pointwise_conv(x, self.weight, self.bias)
