"""Multi-head convolutional self-attention (MHCA): depthwise convs before q/k/v projections.

The depthwise convolutions encode relative position and, with stride > 1, downsample the sequence
(query and key/value share the stride, so one mask serves both). With ``window_size > 1`` the
attention is local (banded, memory linear in T); otherwise it is global.
"""

from __future__ import annotations

import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .conv import Conv1x1, MaskedConv1D
from .local_attention import local_attention
from .masking import apply_mask
from .norm import LayerNorm


class MaskedMHCA(nn.Module):
    """Masked multi-head conv attention, global (``window_size <= 1``) or local."""

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        window_size: int = -1,
        n_qx_stride: int = 1,
        n_kv_stride: int = 1,
        attn_pdrop: float = 0.0,
        proj_pdrop: float = 0.0,
        use_rel_pe: bool = False,
    ) -> None:
        super().__init__()
        if n_embd % n_head != 0:
            raise ValueError(f"embedding dim {n_embd} is not divisible by the number of heads {n_head}")
        for name, stride in (("n_qx_stride", n_qx_stride), ("n_kv_stride", n_kv_stride)):
            if stride != 1 and stride % 2 != 0:
                raise ValueError(f"{name} must be 1 or even, got {stride}")
        if window_size > 1 and window_size % 2 != 1:
            raise ValueError(f"local attention window must be odd, got {window_size}")
        if use_rel_pe and window_size <= 1:
            raise ValueError("relative position encoding needs local attention (window_size > 1)")
        self.n_embd = n_embd
        self.n_head = n_head
        self.n_channels = n_embd // n_head
        self.scale = 1.0 / math.sqrt(self.n_channels)
        self.window_size = window_size
        self.use_rel_pe = use_rel_pe
        self.attn_pdrop = attn_pdrop

        # as in the original, the query conv uses the key/value stride (both are equal in practice)
        q_kernel = n_qx_stride + 1 if n_qx_stride > 1 else 3
        self.query_conv = MaskedConv1D(
            n_embd, n_embd, q_kernel, stride=n_kv_stride, padding=q_kernel // 2, groups=n_embd, bias=False
        )
        self.query_norm = LayerNorm(n_embd)
        kv_kernel = n_kv_stride + 1 if n_kv_stride > 1 else 3
        self.key_conv = MaskedConv1D(
            n_embd, n_embd, kv_kernel, stride=n_kv_stride, padding=kv_kernel // 2, groups=n_embd, bias=False
        )
        self.key_norm = LayerNorm(n_embd)
        self.value_conv = MaskedConv1D(
            n_embd, n_embd, kv_kernel, stride=n_kv_stride, padding=kv_kernel // 2, groups=n_embd, bias=False
        )
        self.value_norm = LayerNorm(n_embd)

        self.key = Conv1x1(n_embd, n_embd)
        self.query = Conv1x1(n_embd, n_embd)
        self.value = Conv1x1(n_embd, n_embd)
        self.attn_drop = nn.Dropout(attn_pdrop)
        self.proj_drop = nn.Dropout(proj_pdrop)
        self.proj = Conv1x1(n_embd, n_embd)

        if use_rel_pe:
            self.rel_pe = nn.Parameter(torch.zeros(1, 1, n_head, window_size))
            nn.init.trunc_normal_(self.rel_pe, std=(2.0 / n_embd) ** 0.5)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, _, t = x.shape
        # (B, nh * hs, T) -> (B, nh, hs, T) -> (B, nh, T, hs)
        return x.reshape(b, self.n_head, self.n_channels, t).transpose(2, 3)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, T); mask: (B, 1, T) bool -> (B, C, T'), (B, 1, T') with T' = T / stride."""
        out, qx_mask = self._attend(x, mask)
        return apply_mask(self.proj_drop(self.proj(self._merge_heads(out))), qx_mask), qx_mask

    def _attend(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The attention before the output projection: (B, nh, T', hs) and the (B, 1, T') mask."""
        q, qx_mask = self.query_conv(x, mask)
        k, kv_mask = self.key_conv(x, mask)
        v, _ = self.value_conv(x, mask)
        q = self._heads(self.query(self.query_norm(q)))  # (B, nh, T', hs)
        k = self._heads(self.key(self.key_norm(k)))
        v = self._heads(self.value(self.value_norm(v)))
        key_mask = kv_mask[:, 0, :]  # (B, T')
        if self.window_size > 1:
            rel_pe = self.rel_pe.view(self.n_head, self.window_size) if self.use_rel_pe else None
            out = local_attention(
                q * self.scale, k, v, key_mask, self.window_size, rel_pe,
                dropout_p=self.attn_pdrop, training=self.training,
            )
        else:
            # the fused kernel: the original's matmul-softmax-matmul in one call, on any device
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=key_mask[:, None, None, :],
                dropout_p=self.attn_pdrop if self.training else 0.0, scale=self.scale,
            )
        return out, qx_mask

    def _merge_heads(self, out: torch.Tensor) -> torch.Tensor:
        """(B, nh, T', hs) -> (B, nh, hs, T') -> (B, C, T'), channel-major as the projection's
        convolution takes it."""
        b, _, t, _ = out.shape
        return out.transpose(2, 3).reshape(b, self.n_embd, t)


class LocalMaskedMHCA(MaskedMHCA):
    """Masked multi-head conv attention restricted to a local window (the original's class name)."""

    def __init__(self, n_embd: int, n_head: int, window_size: int, **kwargs) -> None:
        if window_size <= 1:
            raise ValueError(f"LocalMaskedMHCA needs window_size > 1, got {window_size}")
        super().__init__(n_embd, n_head, window_size=window_size, **kwargs)
