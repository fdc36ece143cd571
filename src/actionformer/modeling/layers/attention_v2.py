"""Multi-head conv attention for the v2 backbone: grouped-query heads, RoPE, fused SDPA kernels.

Same structure and parameter names as the v1 ``MaskedMHCA`` (depthwise q/k/v convs that may
downsample, a norm each, 1x1 projections), so with ``n_kv_head == n_head``, no RoPE and
LayerNorm a v1 state dict loads unchanged. Differences, each behind its own switch:
- ``n_kv_head < n_head``: keys and values have fewer heads, each shared by a group of query
  heads (grouped-query attention): smaller key/value projections and activations.
- ``use_rope``: queries and keys are rotated by their true time ``i * position_stride``.
- ``use_sdpa``: attention through ``torch.nn.functional.scaled_dot_product_attention``.
- ``norm_layer``: LayerNorm or RMSNorm for the q/k/v norms.
Local windows are computed block-wise (``sdpa_attention``), never as a T x T matrix.
"""

from __future__ import annotations

from typing import Optional, Tuple, Type

import torch
from torch import nn

from .conv import Conv1x1, MaskedConv1D, downsample_mask
from .norm import LayerNorm
from .rope import RotaryEmbedding, apply_rotary
from .sdpa_attention import GLOBAL_WINDOW, sdpa_attention


class MaskedMHCAv2(nn.Module):
    """x (B, C, T), mask (B, 1, T) -> (B, C, T / stride), (B, 1, T / stride)."""

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        n_kv_head: Optional[int] = None,
        window_size: int = -1,
        stride: int = 1,
        attn_pdrop: float = 0.0,
        proj_pdrop: float = 0.0,
        use_rope: bool = False,
        use_sdpa: bool = True,
        norm_layer: Type[nn.Module] = LayerNorm,
        position_stride: float = 1.0,
        rope_base: float = 10000.0,
    ) -> None:
        super().__init__()
        n_kv_head = n_head if n_kv_head is None else n_kv_head
        _check_sizes(n_embd, n_head, n_kv_head, window_size, stride)
        self.n_embd = n_embd
        self.n_head = n_head
        self.n_kv_head = n_kv_head
        self.head_dim = n_embd // n_head
        # v1 semantics: a window of 1 or less means global attention
        self.window_size = window_size if window_size > 1 else GLOBAL_WINDOW
        self.attn_pdrop = attn_pdrop
        self.use_sdpa = use_sdpa
        self.position_stride = position_stride
        self.stride = stride
        kv_dim = n_kv_head * self.head_dim

        kernel = stride + 1 if stride > 1 else 3
        for name in ("query", "key", "value"):
            conv = MaskedConv1D(n_embd, n_embd, kernel, stride=stride, padding=kernel // 2,
                                groups=n_embd, bias=False)
            self.add_module(f"{name}_conv", conv)
            self.add_module(f"{name}_norm", norm_layer(n_embd))
        self.key = Conv1x1(n_embd, kv_dim)
        self.query = Conv1x1(n_embd, n_embd)
        self.value = Conv1x1(n_embd, kv_dim)
        self.proj_drop = nn.Dropout(proj_pdrop)
        self.proj = Conv1x1(n_embd, n_embd)
        self.rope = RotaryEmbedding(self.head_dim, base=rope_base) if use_rope else None

    @staticmethod
    def _heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
        b, c, t = x.shape
        # (B, C, T) -> (B, T, C) -> (B, T, nh, hs) -> (B, nh, T, hs): head channels contiguous
        # (RoPE views them as complex pairs); no copy when x is time-major
        return x.transpose(1, 2).reshape(b, t, n_head, c // n_head).transpose(1, 2)

    @staticmethod
    def _depthwise(conv: MaskedConv1D, x: torch.Tensor) -> torch.Tensor:
        """The masked conv without its output masking: padded keys/values are never attended and
        padded queries are zeroed at the output, so zeroing them here would be a wasted pass."""
        return conv.conv(x)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if x.shape[-1] % self.stride != 0:
            raise ValueError(f"sequence length {x.shape[-1]} is not divisible by the stride {self.stride}")
        out_mask = downsample_mask(mask, self.stride)  # (B, 1, T')
        q = self._depthwise(self.query_conv, x)  # (B, C, T')
        k = self._depthwise(self.key_conv, x)
        v = self._depthwise(self.value_conv, x)
        q = self._heads(self.query(self.query_norm(q)), self.n_head)  # (B, H, T', d)
        k = self._heads(self.key(self.key_norm(k)), self.n_kv_head)  # (B, H_kv, T', d)
        v = self._heads(self.value(self.value_norm(v)), self.n_kv_head)  # (B, H_kv, T', d)
        if self.rope is not None:
            rotations = self.rope.grid_rotations(q.shape[2], self.position_stride, q.device)
            q, k = apply_rotary(q, rotations), apply_rotary(k, rotations)

        out = self._attention(q, k, v, out_mask[:, 0, :])  # (B, C, T')
        out = self.proj_drop(self.proj(out)) * out_mask.to(out.dtype)
        return out, out_mask

    def _attention(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_valid: torch.Tensor) -> torch.Tensor:
        """Heads (B, H, T', d) -> attention output (B, C, T'), channel-major for the projection."""
        out = sdpa_attention(
            q, k, v, window_size=self.window_size, key_valid=key_valid,
            dropout_p=self.attn_pdrop if self.training else 0.0, use_sdpa=self.use_sdpa,
        )  # (B, H, T', d)
        b, _, t, _ = out.shape
        return out.transpose(2, 3).reshape(b, self.n_embd, t)


def _check_sizes(n_embd: int, n_head: int, n_kv_head: int, window_size: int, stride: int) -> None:
    if n_head <= 0 or n_embd % n_head != 0:
        raise ValueError(f"embedding dim {n_embd} is not divisible by the number of heads {n_head}")
    if n_kv_head <= 0 or n_head % n_kv_head != 0:
        raise ValueError(f"n_kv_head ({n_kv_head}) must divide n_head ({n_head})")
    if window_size > 1 and window_size % 2 != 1:
        raise ValueError(f"local attention window must be odd, got {window_size}")
    if stride != 1 and stride % 2 != 0:
        raise ValueError(f"attention stride must be 1 or even, got {stride}")
