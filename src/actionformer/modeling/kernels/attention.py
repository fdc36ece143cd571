"""CPU variants of the conv attentions: time-major outputs (no reordering copy before the
projection's matrix product) and, for v2, channels-last depthwise convolutions."""

from __future__ import annotations

from typing import Tuple

import torch

from ..layers.attention import MaskedMHCA
from ..layers.attention_v2 import MaskedMHCAv2
from ..layers.conv import MaskedConv1D
from ..layers.sdpa_attention import sdpa_attention
from .channels_last import depthwise_conv_tm
from .dispatch import CpuVariant, cpu_variant, runs_here
from .masking import mask_fresh


@cpu_variant(MaskedMHCA)
class CpuMaskedMHCA(CpuVariant, MaskedMHCA):
    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if not runs_here(x):
            return super().forward(x, mask)
        out, qx_mask = self._attend(x, mask)
        b, _, t, _ = out.shape
        # (B, nh, T', hs) -> (B, T', nh, hs) -> (B, T', C) -> (B, C, T') view (time-major memory)
        out = out.transpose(1, 2).reshape(b, t, self.n_embd).transpose(1, 2)
        return mask_fresh(self.proj_drop(self.proj(out)), qx_mask), qx_mask


@cpu_variant(MaskedMHCAv2)
class CpuMaskedMHCAv2(CpuVariant, MaskedMHCAv2):
    @staticmethod
    def _depthwise(conv: MaskedConv1D, x: torch.Tensor) -> torch.Tensor:
        if not runs_here(x):
            return MaskedMHCAv2._depthwise(conv, x)
        return depthwise_conv_tm(x, conv.conv.weight, conv.stride)

    def _attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_valid: torch.Tensor) -> torch.Tensor:
        if not runs_here(q):
            return super()._attention(q, k, v, key_valid)
        out = sdpa_attention(
            q, k, v, window_size=self.window_size, key_valid=key_valid,
            dropout_p=self.attn_pdrop if self.training else 0.0, use_sdpa=self.use_sdpa,
            time_major=True,
        )  # (B, T', H, d)
        b, t = out.shape[:2]
        # (B, T', H, d) -> (B, T', C) -> (B, C, T') view of time-major memory
        return out.reshape(b, t, self.n_embd).transpose(1, 2)
