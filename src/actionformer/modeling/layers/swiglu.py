"""SwiGLU feed-forward block for channel-first sequences (B, C, T)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def swiglu_hidden_dim(mlp_hidden_dim: int, multiple_of: int = 64) -> int:
    """Hidden size of a SwiGLU that has about the parameters of a 2-matrix MLP of ``mlp_hidden_dim``.

    A SwiGLU has three matrices instead of two, so its hidden size is 2/3 of the plain MLP's,
    rounded up to ``multiple_of`` (friendly to matmul kernels), as in PaLM / LLaMA.
    For C = 512 and a 4x MLP (2048): 1408, i.e. 2.16M weights vs 2.10M.
    """
    if mlp_hidden_dim <= 0 or multiple_of <= 0:
        raise ValueError(
            f"swiglu_hidden_dim: sizes must be positive, got {mlp_hidden_dim}, {multiple_of}"
        )
    hidden = (2 * mlp_hidden_dim) // 3
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


class SwiGLU(nn.Module):
    """``out = W_down(silu(W_gate x) * W_up x)``, pointwise over time.

    Gate and up projections are one fused linear layer (one matmul instead of two);
    ``gate_up.weight[:hidden]`` is W_gate and ``gate_up.weight[hidden:]`` is W_up. The matmuls
    run on the time-major view of the input, which is what BLAS wants for (B, C, T) features.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int | None = None,
        dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        self.hidden_channels = hidden_channels
        self.gate_up = nn.Linear(in_channels, 2 * hidden_channels, bias=bias)
        self.down = nn.Linear(hidden_channels, out_channels, bias=bias)
        self.drop = nn.Dropout(dropout)
        for layer in (self.gate_up, self.down):
            if bias:
                nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C_in, T) -> (B, C_out, T)."""
        gate, up = self.gate_up(x.transpose(1, 2)).chunk(2, dim=-1)  # 2 x (B, T, hidden)
        hidden = self.drop(_SiluGate.apply(gate, up))
        return self.drop(self.down(hidden)).transpose(1, 2)  # (B, T, C_out) -> (B, C_out, T)


class _SiluGate(torch.autograd.Function):
    """``silu(gate) * up`` keeping only ``gate`` and ``up`` for backward.

    Plain autograd would also keep ``silu(gate)``: with it, a SwiGLU stores more activations
    than the GELU MLP it replaces; without it, about the same.
    """

    @staticmethod
    def forward(ctx, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(gate, up)
        return F.silu(gate).mul_(up)  # one hidden-sized buffer, not two

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        gate, up = ctx.saved_tensors
        sig = torch.sigmoid(gate)
        silu = gate * sig
        # d silu(g) / dg = sig * (1 + g * (1 - sig))
        grad_gate = grad_out * up * sig * (1 + gate * (1 - sig))
        return grad_gate, grad_out * silu
