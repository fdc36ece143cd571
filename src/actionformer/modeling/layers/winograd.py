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

All tensors are time-major: input (B, T, C_in), output (B, T, C_out); the convolution pads one
zero step at each end, as ``nn.Conv1d(kernel_size=3, padding=1)``.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

TILE = 4  # outputs per tile
POINTS = TILE + 2  # inputs per tile = transformed points = matrix products


def _by_tile(x: torch.Tensor, num_tiles: int) -> torch.Tensor:
    """(B, T, C) -> (B, nt, 4, C): steps 4t .. 4t + 3 of tile t (zero-padded to 4 nt steps)."""
    b, t, c = x.shape
    if t != TILE * num_tiles:
        x = F.pad(x, (0, 0, 0, TILE * num_tiles - t))
    return x.contiguous().view(b, num_tiles, TILE, c)


def _input_transform(x4: torch.Tensor, t0: int, t1: int) -> torch.Tensor:
    """V = B^T d for tiles t0 .. t1 - 1 of x4 (B, nt, 4, C) -> (6, B * (t1 - t0), C).

    Tile t reads inputs d_0..d_5 = x[4t - 1 .. 4t + 4]: d_1..d_4 are the tile's own 4 steps,
    d_0 the last step of tile t - 1 and d_5 the first of tile t + 1 (zero beyond the ends, the
    convolution's padding), so no padded copy of x is needed.
    """
    b, num_tiles, _, c = x4.shape
    d1, d2, d3, d4 = x4[:, t0:t1].unbind(2)
    v = x4.new_empty(POINTS, b, t1 - t0, c)
    # rows of B^T: (4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
    #              (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1)
    first = 1 if t0 == 0 else 0  # tile 0 has no previous step: d_0 = 0
    torch.add(d4, d2, alpha=-5, out=v[0])[:, first:].add_(x4[:, t0 + first - 1 : t1 - 1, 3], alpha=4)
    a, q = torch.add(d4, d2, alpha=-4), torch.add(d3, d1, alpha=-4)
    torch.add(a, q, out=v[1])
    torch.sub(a, q, out=v[2])
    a, q = torch.sub(d4, d2, out=a), torch.sub(d3, d1, out=q).mul_(2)
    torch.add(a, q, out=v[3])
    torch.sub(a, q, out=v[4])
    last = 1 if t1 == num_tiles else 0  # the last tile has no next step: d_5 = 0
    torch.add(d1.mul(4), d3, alpha=-5, out=v[5])[:, : t1 - t0 - last].add_(x4[:, t0 + 1 : t1 + 1 - last, 0])
    return v.view(POINTS, b * (t1 - t0), c)


def _input_transform_transposed(dv: torch.Tensor, shape: Tuple[int, int, int], num_tiles: int) -> torch.Tensor:
    """Gradient of :func:`_input_transform`: (6, B * nt, C) -> (B, T, C)."""
    b, t, c = shape
    v0, v1, v2, v3, v4, v5 = dv.view(POINTS, b, num_tiles, c).unbind(0)
    s12, d12 = v1 + v2, v1 - v2
    s34, d34 = v3 + v4, v3 - v4
    # the gradients of each tile's inputs d_1..d_4 (columns of B^T) land on its own 4 steps ...
    dx = dv.new_empty(b, num_tiles, TILE, c)
    torch.add(d34.mul(-2), d12, alpha=-4, out=dx[:, :, 0]).add_(v5, alpha=4)
    torch.add(v0.mul(-5), s12, alpha=-4, out=dx[:, :, 1]).sub_(s34)
    torch.add(d12, d34, alpha=2, out=dx[:, :, 2]).add_(v5, alpha=-5)
    torch.add(v0, s12, out=dx[:, :, 3]).add_(s34)
    # ... and those of d_0 (4 v0) and d_5 (v5) on the neighbouring tiles' last / first step
    dx[:, :-1, 3].add_(v0[:, 1:], alpha=4)
    dx[:, 1:, 0].add_(v5[:, :-1])
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
    g = torch.tensor(_G, dtype=weight.dtype, device=weight.device)
    return torch.mm(g, weight.reshape(c_out * c_in, 3).t()).view(POINTS, c_out, c_in)


def _output_transform(m: torch.Tensor, y4: torch.Tensor) -> None:
    """y = A^T m for a run of tiles: m (6, B * n, C_out) -> written into y4 (B, n, 4, C_out)."""
    b, n, _, c = y4.shape
    m0, m1, m2, m3, m4, m5 = m.view(POINTS, b, n, c).unbind(0)
    # rows of A^T: (1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1)
    s12, d12 = m1 + m2, m1 - m2
    s34, d34 = m3 + m4, m3 - m4
    torch.add(m0, s12, out=y4[:, :, 0]).add_(s34)
    torch.add(d12, d34, alpha=2, out=y4[:, :, 1])
    torch.add(s12, s34, alpha=4, out=y4[:, :, 2])
    torch.add(d12, d34, alpha=8, out=y4[:, :, 3]).add_(m5)


def _output_transform_transposed(dy: torch.Tensor, num_tiles: int) -> torch.Tensor:
    """Gradient of :func:`_output_transform`: (B, T, C_out) -> (6, B * nt, C_out)."""
    b, t, c = dy.shape
    if t != TILE * num_tiles:
        dy = F.pad(dy, (0, 0, 0, TILE * num_tiles - t))
    dy = dy.reshape(b, num_tiles, TILE, c)
    y0, y1, y2, y3 = dy.unbind(2)
    dm = dy.new_empty(POINTS, b, num_tiles, c)
    e02, o13 = y0 + y2, y1 + y3
    f, g = torch.add(y0, y2, alpha=4), torch.add(y1.mul(2), y3, alpha=8)
    dm[0].copy_(y0)
    torch.add(e02, o13, out=dm[1])
    torch.sub(e02, o13, out=dm[2])
    torch.add(f, g, out=dm[3])
    torch.sub(f, g, out=dm[4])
    dm[5].copy_(y3)
    return dm.view(POINTS, b * num_tiles, c)


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
        x4 = _by_tile(x, num_tiles)
        out = x.new_empty(b, TILE * num_tiles, u.shape[1])
        y4 = out.view(b, num_tiles, TILE, -1)
        # runs of tiles bound the transforms' buffers (1.5x the run's input and output)
        for t0 in range(0, num_tiles, chunk_tiles):
            t1 = min(num_tiles, t0 + chunk_tiles)
            v = _input_transform(x4, t0, t1)  # (6, B * n, C_in)
            m = v.new_empty(POINTS, v.shape[1], u.shape[1])
            for p in range(POINTS):
                torch.mm(v[p], u[p].t(), out=m[p])
            if bias is not None:
                # every output of a tile takes product 1 with coefficient 1 (column 1 of A^T is all ones)
                m[1].add_(bias)
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
        dm = _output_transform_transposed(grad_out, num_tiles)  # (6, B * nt, C_out)
        grad_x = grad_u = grad_b = None
        if ctx.needs_input_grad[0]:
            dv = dm.new_empty(POINTS, dm.shape[1], u.shape[2])
            for p in range(POINTS):
                torch.mm(dm[p], u[p], out=dv[p])
            grad_x = _input_transform_transposed(dv, tuple(x.shape), num_tiles)
        if ctx.needs_input_grad[1]:
            # the input transform is recomputed rather than kept: it is 1.5x the input's size
            v = _input_transform(_by_tile(x, num_tiles), 0, num_tiles)
            grad_u = u.new_empty(u.shape)
            for p in range(POINTS):
                torch.mm(dm[p].t(), v[p], out=grad_u[p])
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
    if num_runs > 1 and not x.is_contiguous() and not torch.is_grad_enabled():
        out = _strided_runs(x, u, bias, TILE * run_tiles)
        return out if mask is None else out.mul_(mask[..., None])
    return _WinogradProducts.apply(x.contiguous(), u, bias, run_tiles, mask)


def _strided_runs(x: torch.Tensor, u: torch.Tensor, bias: Optional[torch.Tensor], step: int) -> torch.Tensor:
    """Without autograd, for x (B, T, C) not in time-major memory (e.g. a video's (C, T) features
    used as they are): each run of ``step`` outputs reads a time-major copy of its own steps and
    one tile of halo on each side, so no full-length copy of x is ever held."""
    b, t, _ = x.shape
    out = x.new_empty(b, t, u.shape[1])
    for start in range(0, t, step):
        end = min(t, start + step)
        lo, hi = max(0, start - TILE), min(t, end + TILE)
        y = _WinogradProducts.apply(x[:, lo:hi].contiguous(), u, bias, -(-(hi - lo) // TILE))
        out[:, start:end] = y[:, start - lo : end - lo]
    return out


def winograd_applies(x: torch.Tensor) -> bool:
    """Whether :func:`winograd_conv3` is the faster and accurate choice for input x: float32 or
    float64 on the CPU, not under autocast (whose bf16 / fp16 rounding the transforms amplify).
    On a GPU the vendor library already picks among Winograd and other algorithms itself."""
    return (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and not torch.is_autocast_enabled("cpu")
    )
