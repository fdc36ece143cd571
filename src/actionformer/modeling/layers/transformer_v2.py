"""Pre-norm Transformer block of the v2 backbone (v1's block with switchable parts)."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn

from .attention_v2 import MaskedMHCAv2
from .conv import Conv1x1
from .norm import LayerNorm
from .rms_norm import RMSNorm
from .swiglu import SwiGLU, swiglu_hidden_dim
from .transformer import AffineDropPath, SkipPool, residual_add


class TransformerBlockV2(nn.Module):
    """x -> x + attn(N(x)); -> + ffn(N(.)), with a max-pooled skip when the block downsamples.

    Parameter names follow v1's ``TransformerBlock`` (``ln1``, ``ln2``, ``attn.*``, ``mlp.*``,
    ``drop_path_*``). ``use_swiglu`` swaps the GELU MLP for a SwiGLU of comparable size,
    ``use_rms_norm`` every LayerNorm of the block for RMSNorm; the attention switches are
    described in :class:`MaskedMHCAv2`.
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        n_kv_head: Optional[int] = None,
        stride: int = 1,
        mha_win_size: int = -1,
        attn_pdrop: float = 0.0,
        proj_pdrop: float = 0.0,
        path_pdrop: float = 0.0,
        use_rope: bool = False,
        use_sdpa: bool = True,
        use_swiglu: bool = False,
        use_rms_norm: bool = False,
        position_stride: float = 1.0,
        mlp_ratio: int = 4,
    ) -> None:
        super().__init__()
        norm_layer = RMSNorm if use_rms_norm else LayerNorm
        self.ln1 = norm_layer(n_embd)
        self.ln2 = norm_layer(n_embd)
        self.attn = MaskedMHCAv2(
            n_embd, n_head, n_kv_head, window_size=mha_win_size, stride=stride,
            attn_pdrop=attn_pdrop, proj_pdrop=proj_pdrop, use_rope=use_rope, use_sdpa=use_sdpa,
            norm_layer=norm_layer, position_stride=position_stride,
        )
        if stride > 1:
            self.pool_skip = SkipPool(stride + 1, stride=stride, padding=(stride + 1) // 2)
        else:
            self.pool_skip = nn.Identity()
        hidden = mlp_ratio * n_embd
        if use_swiglu:
            self.mlp = SwiGLU(n_embd, swiglu_hidden_dim(hidden), dropout=proj_pdrop)
        else:
            self.mlp = nn.Sequential(
                Conv1x1(n_embd, hidden), nn.GELU(), nn.Dropout(proj_pdrop, inplace=True),
                Conv1x1(hidden, n_embd), nn.Dropout(proj_pdrop, inplace=True),
            )
        if path_pdrop > 0.0:
            self.drop_path_attn = AffineDropPath(n_embd, drop_prob=path_pdrop)
            self.drop_path_mlp = AffineDropPath(n_embd, drop_prob=path_pdrop)
        else:
            self.drop_path_attn = nn.Identity()
            self.drop_path_mlp = nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, T); mask: (B, 1, T) bool -> (B, C, T / stride), (B, 1, T / stride)."""
        out, out_mask = self.attn(self.ln1(x), mask)
        valid = out_mask.to(out.dtype)
        out = residual_add(self.drop_path_attn, self.pool_skip(x) * valid, out)
        out = residual_add(self.drop_path_mlp, out, self.mlp(self.ln2(out)) * valid)
        return out, out_mask
