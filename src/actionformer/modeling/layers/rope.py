"""Rotary position embeddings (RoPE) at arbitrary, possibly strided, time positions."""

from __future__ import annotations

import torch
from torch import nn


class RotaryEmbedding(nn.Module):
    """Rotates pairs of channels of queries/keys by an angle proportional to their position.

    Channel pair ``(j, j + d/2)`` (the "rotate half" layout) at position ``p`` is rotated by
    ``p * base^(-2j/d)``. The dot product of a query at ``p`` and a key at ``p'`` then depends
    on ``p - p'`` only, so attention scores are invariant to shifting the whole sequence and a
    model trained at one length runs at another.

    Positions are passed in by the caller: at a pyramid level of stride ``s`` the i-th token
    covers feature-grid time ``i * s``, and passing ``i * s`` makes a phase mean the same
    temporal distance at every level.
    """

    def __init__(self, head_dim: int, base: float = 10000.0) -> None:
        super().__init__()
        if head_dim <= 0 or head_dim % 2 != 0:
            raise ValueError(f"RoPE needs a positive, even head dimension, got {head_dim}")
        self.head_dim = head_dim
        self.base = base
        # cos/sin of the last regular grid asked for; training repeats the same length
        self._grid_key: tuple | None = None
        self._grid_tables: tuple[torch.Tensor, torch.Tensor] | None = None

    def cos_sin(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin tables of shape (T, d) for 1-D ``positions`` (T,), in float32.

        Angles are formed in float64 where the device has it: in float32, position 36864 times
        a frequency near 1 is off by ~2e-3 rad, enough to break shift invariance on long videos.
        """
        wide = torch.float32 if positions.device.type == "mps" else torch.float64
        inv_freq = self.base ** (
            -torch.arange(0, self.head_dim, 2, dtype=wide, device=positions.device) / self.head_dim
        )
        angles = positions.to(wide)[:, None] * inv_freq[None, :]  # (T, d/2)
        angles = torch.cat((angles, angles), dim=-1)  # (T, d)
        return angles.cos().float(), angles.sin().float()

    def grid_cos_sin(
        self, length: int, stride: float, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Tables for positions ``0, stride, 2 * stride, ...`` (length of them), cached."""
        key = (length, float(stride), torch.device(device))
        if self._grid_key != key:
            positions = torch.arange(length, device=device, dtype=torch.float64 if
                                     torch.device(device).type != "mps" else torch.float32)
            self._grid_tables = self.cos_sin(positions * stride)
            self._grid_key = key
        return self._grid_tables

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Rotate ``x`` of shape (..., T, d) at ``positions`` (T,); same shape and dtype out."""
        if x.shape[-1] != self.head_dim:
            raise ValueError(f"RoPE built for head_dim {self.head_dim}, got {x.shape[-1]}")
        if positions.dim() != 1 or positions.shape[0] != x.shape[-2]:
            raise ValueError(
                f"RoPE positions must be 1-D of length T={x.shape[-2]}, got {tuple(positions.shape)}"
            )
        cos, sin = self.cos_sin(positions.to(x.device))
        return apply_rotary(x, cos, sin)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """``x * cos + rotate_half(x) * sin`` computed in float32, cast back to ``x.dtype``."""
    x32 = x.float()
    first, second = x32.chunk(2, dim=-1)  # 2 x (..., T, d/2)
    rotated = torch.cat((-second, first), dim=-1)  # (..., T, d)
    return (x32 * cos + rotated * sin).to(x.dtype)
