"""Rotary position embeddings (RoPE) at arbitrary, possibly strided, time positions."""

from __future__ import annotations

import torch
from torch import nn


class RotaryEmbedding(nn.Module):
    """Rotates pairs of channels of queries/keys by an angle proportional to their position.

    Channel pair ``(2j, 2j + 1)`` of a head, read as the complex number ``x_2j + i x_2j+1``, is
    multiplied by ``exp(i p theta_j)`` at position ``p``, with ``theta_j = base^(-2j/d)``. The
    dot product of a query at ``p`` and a key at ``p'`` then depends on ``p - p'`` only, so
    attention scores are invariant to shifting the whole sequence and a model trained at one
    length runs at another. (One complex multiply is ~3x faster on CPU than the
    rotate-half formulation, forward + backward.)

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
        # rotations of the last regular grid asked for; training repeats the same length
        self._grid_key: tuple | None = None
        self._grid_rotations: torch.Tensor | None = None

    def rotations(self, positions: torch.Tensor) -> torch.Tensor:
        """Unit complex numbers ``exp(i p theta_j)``: (T, d/2) complex64 for positions (T,).

        Angles are formed in float64 where the device has it: in float32, position 36864 times
        a frequency near 1 is off by ~2e-3 rad, enough to break shift invariance on long videos.
        """
        wide = torch.float32 if positions.device.type == "mps" else torch.float64
        exponents = torch.arange(0, self.head_dim, 2, dtype=wide, device=positions.device)
        inv_freq = self.base ** (-exponents / self.head_dim)  # (d/2,)
        angles = positions.to(wide)[:, None] * inv_freq[None, :]  # (T, d/2)
        return torch.polar(torch.ones_like(angles), angles).to(torch.complex64)

    def grid_rotations(self, length: int, stride: float, device: torch.device) -> torch.Tensor:
        """Rotations for positions ``0, stride, 2 * stride, ...`` (``length`` of them), cached."""
        key = (length, float(stride), torch.device(device))
        if self._grid_key != key:
            self._grid_rotations = self.rotations(torch.arange(length, device=device) * stride)
            self._grid_key = key
        return self._grid_rotations

    def forward(self, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """Rotate ``x`` of shape (..., T, d) at ``positions`` (T,); same shape and dtype out."""
        if x.shape[-1] != self.head_dim:
            raise ValueError(f"RoPE built for head_dim {self.head_dim}, got {x.shape[-1]}")
        if positions.dim() != 1 or positions.shape[0] != x.shape[-2]:
            raise ValueError(
                f"RoPE positions must be 1-D of length T={x.shape[-2]}, got {tuple(positions.shape)}"
            )
        return apply_rotary(x, self.rotations(positions.to(x.device)))


def apply_rotary(x: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """(..., T, d) real times (T, d/2) complex rotations; half precision is computed in float32."""
    wide = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    if wide.stride(-1) != 1:  # complex pairs must be adjacent (heads of channel-major memory)
        wide = wide.contiguous()
    # (..., T, d) -> (..., T, d/2, 2) -> complex (..., T, d/2); a view when no cast was needed
    pairs = torch.view_as_complex(wide.unflatten(-1, (-1, 2)))
    rotated = pairs * rotations.to(pairs.dtype)
    # complex (..., T, d/2) -> (..., T, d/2, 2) -> (..., T, d)
    return torch.view_as_real(rotated).flatten(-2).to(x.dtype)
