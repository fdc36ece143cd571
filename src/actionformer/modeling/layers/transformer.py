"""Pre-LN Transformer block with MHCA, optional 2x downsampling, and affine drop-path."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, Type

import torch
from torch import nn

from .attention import MaskedMHCA
from .conv import Conv1x1
from .masking import apply_mask
from .norm import LayerNorm


def drop_path(x: torch.Tensor, drop_prob: float = 0.0, training: bool = False) -> torch.Tensor:
    """Stochastic depth per sample: drops whole samples of the residual branch, rescales the rest."""
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    keep = (keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)).floor_()
    return x.div(keep_prob) * keep


class AffineDropPath(nn.Module):
    """Drop-path with a learnable per-channel scale, initialised small (LayerScale, arXiv 2103.17239)."""

    def __init__(self, num_dim: int, drop_prob: float = 0.0, init_scale_value: float = 1e-4) -> None:
        super().__init__()
        self.scale = nn.Parameter(init_scale_value * torch.ones((1, num_dim, 1)))
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self._factor(x)

    def add_to(self, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``residual + self(x)`` in one pass over x (the scale, the kept-sample mask and the
        1 / keep_prob rescaling are folded into one (B, C, 1) factor first): the original's
        ``drop_path(scale * x)`` made three, on any device."""
        return torch.addcmul(residual, x, self._factor(x))

    def _factor(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return self.scale
        keep_prob = 1 - self.drop_prob
        # the same random draw as drop_path's, so both paths drop the same samples
        keep = (keep_prob + torch.rand((x.shape[0], 1, 1), dtype=x.dtype, device=x.device)).floor_()
        return self.scale * (keep / keep_prob)


def residual_add(path: nn.Module, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``residual + path(x)`` for a block's drop-path module (an AffineDropPath or an Identity)."""
    if isinstance(path, AffineDropPath):
        return path.add_to(residual, x)
    return residual + path(x)


class SkipPool(nn.MaxPool1d):
    """The max-pooled skip connection of a downsampling block (its own class so that the CPU
    kernels can recognise it and pool time-major memory in place)."""


class TransformerBlock(nn.Module):
    """x -> x + attn(LN(x)); -> + mlp(LN(.)), with a max-pooled skip when the block downsamples."""

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        n_ds_strides: Sequence[int] = (1, 1),
        n_out: Optional[int] = None,
        n_hidden: Optional[int] = None,
        act_layer: Type[nn.Module] = nn.GELU,
        attn_pdrop: float = 0.0,
        proj_pdrop: float = 0.0,
        path_pdrop: float = 0.0,
        mha_win_size: int = -1,
        use_rel_pe: bool = False,
    ) -> None:
        super().__init__()
        if len(n_ds_strides) != 2:
            raise ValueError(f"n_ds_strides must be (query stride, key/value stride), got {n_ds_strides}")
        self.ln1 = LayerNorm(n_embd)
        self.ln2 = LayerNorm(n_embd)
        self.attn = MaskedMHCA(
            n_embd, n_head, window_size=mha_win_size,
            n_qx_stride=n_ds_strides[0], n_kv_stride=n_ds_strides[1],
            attn_pdrop=attn_pdrop, proj_pdrop=proj_pdrop, use_rel_pe=use_rel_pe,
        )
        stride = n_ds_strides[0]
        if stride > 1:
            self.pool_skip = SkipPool(stride + 1, stride=stride, padding=(stride + 1) // 2)
        else:
            self.pool_skip = nn.Identity()

        n_hidden = 4 * n_embd if n_hidden is None else n_hidden
        n_out = n_embd if n_out is None else n_out
        self.mlp = nn.Sequential(
            Conv1x1(n_embd, n_hidden),
            act_layer(),
            nn.Dropout(proj_pdrop, inplace=True),
            Conv1x1(n_hidden, n_out),
            nn.Dropout(proj_pdrop, inplace=True),
        )
        if path_pdrop > 0.0:
            self.drop_path_attn = AffineDropPath(n_embd, drop_prob=path_pdrop)
            self.drop_path_mlp = AffineDropPath(n_out, drop_prob=path_pdrop)
        else:
            self.drop_path_attn = nn.Identity()
            self.drop_path_mlp = nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        out, out_mask = self.attn(self.ln1(x), mask)
        skip = apply_mask(self.pool_skip(x), out_mask)
        out = residual_add(self.drop_path_attn, skip, out)
        return residual_add(self.drop_path_mlp, out, apply_mask(self._mlp(out), out_mask)), out_mask

    def _mlp(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.ln2(x))
