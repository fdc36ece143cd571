"""3-tap convolutions by Winograd's minimal filtering algorithm F(4, 3) (Lavin & Gray, CVPR 2016).

A dense "same" convolution with a 3-tap kernel costs 3 multiply-adds per output, input channel
and output channel. F(4, 3) computes 4 outputs of each tile of 6 inputs from 6 element-wise
products in a transformed space, so over channels the work becomes 6 matrix products of
``T / 4`` rows instead of 3 of ``T`` rows: half the FLOPs, in the forward and in both backward
products. The transforms are a few additions per element, cheap next to the products.

On the CPU these convolutions (the embedding, the heads, the FPN) are most of ActionFormer's
FLOPs and already run near the cores' peak as direct convolutions, so halving their FLOPs is
what makes them faster. The rounding differs from a direct convolution by about 1e-6 relative
in float32 (the points 0, +-1, +-2 keep the transforms well conditioned), the same order as the
difference between two direct-convolution kernels; low precision (bf16 / fp16) is not used here
because the transforms amplify its rounding error.

The input is (B, T, C_in) in any memory order (time-major activations, or a video's (C, T)
features read in place), the output (B, T, C_out) time-major; the convolution pads one zero
step at each end, as ``nn.Conv1d(kernel_size=3, padding=1)``. The transforms are small batched
matrix products over tiles ((6 x 6) and (4 x 6) matrices): one pass over their data each.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

TILE = 4  # outputs per tile
POINTS = TILE + 2  # inputs per tile = transformed points = matrix products


# B^T (6 x 6): V_p = sum_j B^T[p, j] d_j over a tile's 6 inputs d_0..d_5
_BT = (
    (4.0, 0.0, -5.0, 0.0, 1.0, 0.0),
    (0.0, -4.0, -4.0, 1.0, 1.0, 0.0),
    (0.0, 4.0, -4.0, -1.0, 1.0, 0.0),
    (0.0, -2.0, -1.0, 2.0, 1.0, 0.0),
    (0.0, 2.0, -1.0, -2.0, 1.0, 0.0),
    (0.0, 4.0, 0.0, -5.0, 0.0, 1.0),
)
# A^T (4 x 6): y_i = sum_p A^T[i, p] m_p, the tile's 4 outputs from its 6 products
_AT = (
    (1.0, 1.0, 1.0, 1.0, 1.0, 0.0),
    (0.0, 1.0, -1.0, 2.0, -2.0, 0.0),
    (0.0, 1.0, 1.0, 4.0, 4.0, 0.0),
    (0.0, 1.0, -1.0, 8.0, -8.0, 1.0),
)


def _matrix(rows: Tuple[Tuple[float, ...], ...], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(rows, dtype=like.dtype, device=like.device)


def _input_transform(x: torch.Tensor, t0: int, t1: int) -> torch.Tensor:
    """V = B^T d for tiles t0 .. t1 - 1 of x (B, T, C) -> (B * (t1 - t0), 6, C).

    Tile t reads inputs d_0..d_5 = x[4t - 1 .. 4t + 4] (zero outside 0 .. T - 1, the
    convolution's padding). The tiles whose inputs all lie in x are read in place, as
    overlapping windows of x in whatever memory order it has (time-major, or a video's (C, T)
    features), by one batched (6 x 6) product per video: no copy of x, one pass. The few tiles
    at the ends go through small zero-padded copies.
    """
    b, t, c = x.shape
    bt = _matrix(_BT, x)
    v = x.new_empty(b, t1 - t0, POINTS, c)
    lo, hi = max(t0, 1), min(t1, (t - 5) // TILE + 1)  # tiles with 4t - 1 >= 0 and 4t + 4 <= T - 1
    if lo < hi:
        step, chan = x.stride(1), x.stride(2)
        for i in range(b):
            xi = x[i]
            windows = xi.as_strided(
                (hi - lo, POINTS, c), (TILE * step, step, chan), xi.storage_offset() + (TILE * lo - 1) * step
            )
            torch.matmul(bt, windows, out=v[i, lo - t0 : hi - t0])
        edges = list(range(t0, lo)) + list(range(hi, t1))
    else:
        edges = list(range(t0, t1))
    for tile in edges:
        first = TILE * tile - 1  # step of d_0
        s0, s1 = max(0, first), min(t, first + POINTS)
        d = x.new_zeros(b, POINTS, c)
        d[:, s0 - first : s1 - first] = x[:, s0:s1]
        torch.matmul(bt, d, out=v[:, tile - t0])
    return v.view(b * (t1 - t0), POINTS, c)


def _input_transform_transposed(dv: torch.Tensor, shape: Tuple[int, int, int], num_tiles: int) -> torch.Tensor:
    """Gradient of :func:`_input_transform`: (B * nt, 6, C) -> (B, T, C)."""
    b, t, c = shape
    # the gradients of each tile's own steps d_1..d_4 (rows 1..4 of B = columns of B^T) ...
    dx = torch.matmul(_matrix(_BT, dv).t()[1 : TILE + 1], dv).view(b, num_tiles, TILE, c)
    # ... and those of d_0 (4 v_0) and d_5 (v_5), the neighbouring tiles' last / first step
    dv4 = dv.view(b, num_tiles, POINTS, c)
    dx[:, :-1, TILE - 1].add_(dv4[:, 1:, 0], alpha=4)
    dx[:, 1:, 0].add_(dv4[:, :-1, POINTS - 1])
    dx = dx.view(b, TILE * num_tiles, c)
    return dx if TILE * num_tiles == t else dx[:, :t]


# the kernel transform G (6 x 3): U_p = sum_j G[p, j] w_j
_G = (
    (1 / 4, 0.0, 0.0),
    (-1 / 6, -1 / 6, -1 / 6),
    (-1 / 6, 1 / 6, -1 / 6),
    (1 / 24, 1 / 12, 1 / 6),
    (1 / 24, -1 / 12, 1 / 6),
    (0.0, 0.0, 1.0),
)


def kernel_transform(weight: torch.Tensor) -> torch.Tensor:
    """U = G w for each output / input channel pair: (C_out, C_in, 3) -> (6, C_out, C_in).

    One (6 x 3) @ (3 x C_out C_in) product reading the weight in place (its taps are the
    fastest-varying axis, a transposed operand for the BLAS); autograd carries the weight
    gradient through it."""
    c_out, c_in, _ = weight.shape
    return torch.mm(_matrix(_G, weight), weight.reshape(c_out * c_in, 3).t()).view(POINTS, c_out, c_in)


def _output_transform(m: torch.Tensor, y4: torch.Tensor) -> None:
    """y = A^T m for a run of tiles: m (B * n, 6, C_out) -> written into y4 (B, n, 4, C_out),
    one batched (4 x 6) product per video."""
    b, n, _, c = y4.shape
    at = _matrix(_AT, m)
    m4 = m.view(b, n, POINTS, c)
    for i in range(b):
        torch.matmul(at, m4[i], out=y4[i])


def _output_transform_transposed(dy: torch.Tensor, num_tiles: int) -> torch.Tensor:
    """Gradient of :func:`_output_transform`: (B, T, C_out) -> (B * nt, 6, C_out)."""
    b, t, c = dy.shape
    if t != TILE * num_tiles:
        dy = F.pad(dy, (0, 0, 0, TILE * num_tiles - t))
    return torch.matmul(_matrix(_AT, dy).t(), dy.reshape(b * num_tiles, TILE, c))


class _WinogradProducts(torch.autograd.Function):
    """x (B, T, C_in) and transformed kernel U (6, C_out, C_in) [+ bias] -> (B, T, C_out),
    optionally times a (B, T) 0/1 mask (applied to the fresh output in place, and to the
    incoming gradient in the backward: no extra tensor either way)."""

    @staticmethod
    def forward(
        ctx, x: torch.Tensor, u: torch.Tensor, bias: Optional[torch.Tensor], chunk_tiles: int,
        mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        b, t, _ = x.shape
        num_tiles = -(-t // TILE)
        out = x.new_empty(b, TILE * num_tiles, u.shape[1])
        y4 = out.view(b, num_tiles, TILE, -1)
        # runs of tiles bound the transforms' buffers (1.5x the run's input and output)
        for t0 in range(0, num_tiles, chunk_tiles):
            t1 = min(num_tiles, t0 + chunk_tiles)
            v = _input_transform(x, t0, t1)  # (B * n, 6, C_in)
            m = v.new_empty(v.shape[0], POINTS, u.shape[1])
            for p in range(POINTS):
                torch.mm(v[:, p], u[p].t(), out=m[:, p])
            if bias is not None:
                # every output of a tile takes product 1 with coefficient 1 (column 1 of A^T is all ones)
                m[:, 1].add_(bias)
            _output_transform(m, y4[:, t0:t1])
        if mask is not None:
            out[:, :t].mul_(mask[..., None])
        ctx.save_for_backward(x, u)
        ctx.mask = mask
        ctx.has_bias = bias is not None
        return out if TILE * num_tiles == t else out[:, :t]

    @staticmethod
    @once_differentiable  # the backward writes into preallocated buffers (out=)
    def backward(ctx, grad_out: torch.Tensor):
        x, u = ctx.saved_tensors
        if ctx.mask is not None:
            grad_out = grad_out * ctx.mask[..., None]
        num_tiles = -(-x.shape[1] // TILE)
        dm = _output_transform_transposed(grad_out, num_tiles)  # (B * nt, 6, C_out)
        grad_x = grad_u = grad_b = None
        if ctx.needs_input_grad[0]:
            dv = dm.new_empty(dm.shape[0], POINTS, u.shape[2])
            for p in range(POINTS):
                torch.mm(dm[:, p], u[p], out=dv[:, p])
            grad_x = _input_transform_transposed(dv, tuple(x.shape), num_tiles)
        if ctx.needs_input_grad[1]:
            # the input transform is recomputed rather than kept: it is 1.5x the input's size
            v = _input_transform(x, 0, num_tiles)
            grad_u = u.new_empty(u.shape)
            for p in range(POINTS):
                torch.mm(dm[:, p].t(), v[:, p], out=grad_u[p])
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum(dim=(0, 1))
        return grad_x, grad_u, grad_b, None, None


def winograd_conv3(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor] = None,
    transformed: Optional[torch.Tensor] = None,
    chunk: Optional[int] = None,
    mask: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """``conv1d(x, weight, bias, padding=1)`` on time-major memory: x (B, T, C_in), weight
    (C_out, C_in, 3) -> (B, T, C_out), computed with Winograd's F(4, 3). ``transformed`` may
    pass ``kernel_transform(weight)`` computed earlier; ``chunk`` (steps) bounds the transforms'
    buffers by computing that many output steps at a time (the result is the same); ``mask``
    (B, T) of x's dtype, if given, multiplies the output (zeroing padded steps) at no extra pass."""
    if x.dim() != 3 or weight.dim() != 3 or weight.shape[-1] != 3 or weight.shape[1] != x.shape[-1]:
        raise ValueError(
            f"winograd_conv3 needs x (B, T, C_in) and weight (C_out, C_in, 3), "
            f"got {tuple(x.shape)} and {tuple(weight.shape)}"
        )
    if x.dtype != weight.dtype or (bias is not None and (bias.dtype != x.dtype or bias.shape != weight.shape[:1])):
        raise ValueError(
            f"winograd_conv3 needs x, weight and bias of one dtype and a (C_out,) bias, got {x.dtype} / "
            f"{weight.dtype} / {None if bias is None else (bias.dtype, tuple(bias.shape))}"
        )
    u = kernel_transform(weight) if transformed is None else transformed
    t = x.shape[1]
    # runs of (nearly) equal length: a short last run would make small, slow matrix products
    num_runs = -(-t // max(TILE, chunk)) if chunk else 1
    run_tiles = -(-t // (TILE * num_runs))
    if mask is not None and tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(f"winograd_conv3: mask must be (B, T) = {tuple(x.shape[:2])}, got {tuple(mask.shape)}")
    # x is read in place whatever its memory order (a video's (C, T) features need no copy)
    return _WinogradProducts.apply(x, u, bias, run_tiles, mask)


def winograd_applies(x: torch.Tensor) -> bool:
    """Whether :func:`winograd_conv3` is the faster and accurate choice for input x: float32 or
    float64 on the CPU, not under autocast (whose bf16 / fp16 rounding the transforms amplify).
    On a GPU the vendor library already picks among Winograd and other algorithms itself."""
    return (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and not torch.is_autocast_enabled("cpu")
    )
