"""CPU variants of the Transformer block's parts: in-place masking of fresh outputs, the MLP
chunked over time with its GELU in place at inference, the skip max-pool on time-major memory."""

from __future__ import annotations

from typing import Tuple

import torch
from torch import nn

from ..layers.transformer import SkipPool, TransformerBlock, residual_add
from ..layers.masking import apply_mask
from .channels_last import max_pool_tm
from .dispatch import CpuVariant, cpu_variant, runs_here
from .masking import mask_fresh


@cpu_variant(SkipPool)
class CpuSkipPool(CpuVariant, SkipPool):
    @staticmethod
    def supports(module: SkipPool) -> bool:
        return module.dilation == 1 and not module.ceil_mode and not module.return_indices

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not runs_here(x):
            return super().forward(x)
        return max_pool_tm(x, self.kernel_size, self.stride, self.padding)


@cpu_variant(TransformerBlock)
class CpuTransformerBlock(CpuVariant, TransformerBlock):
    # without autograd, long sequences run the MLP in chunks of this many steps: its hidden layer
    # (4x wider than the block) is the largest activation of the model
    inference_chunk: int = 4096

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if not runs_here(x):
            return super().forward(x, mask)
        out, out_mask = self.attn(self.ln1(x), mask)
        # the pooled skip is a fresh tensor, the identity skip is x itself (kept by ln1's backward)
        pooled = not isinstance(self.pool_skip, nn.Identity)
        skip = mask_fresh(self.pool_skip(x), out_mask) if pooled else apply_mask(x, out_mask)
        out = residual_add(self.drop_path_attn, skip, out)
        return residual_add(self.drop_path_mlp, out, mask_fresh(self._mlp(out), out_mask)), out_mask

    def _mlp(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        if torch.is_grad_enabled():
            return self.mlp(self.ln2(x))
        if t <= self.inference_chunk:
            return self._mlp_inference(self.ln2(x))
        # the MLP and its layer norm act on each time step alone, so chunking over T is exact
        step = self.inference_chunk
        return torch.cat([self._mlp_inference(self.ln2(x[..., s : s + step])) for s in range(0, t, step)], dim=-1)

    def _mlp_inference(self, x: torch.Tensor) -> torch.Tensor:
        """self.mlp(x) without autograd, the GELU in place on the hidden layer (the model's
        largest activation: one allocation of it instead of two)."""
        hidden, act = self.mlp[0](x), self.mlp[1]
        if type(act) is nn.GELU:
            hidden = torch.ops.aten.gelu_(hidden, approximate=act.approximate)
        else:
            hidden = act(hidden)
        for layer in self.mlp[2:]:
            hidden = layer(hidden)
        return hidden
