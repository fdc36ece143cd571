"""Winograd F(4, 3) 3-tap convolution against F.conv1d (values, gradients, transforms, dispatch)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from actionformer.modeling.kernels.winograd import _AT, _BT, _G, TILE, kernel_transform, winograd_applies, winograd_conv3


def conv_reference(x, weight, bias=None):
    """The definition: a "same" conv1d (padding 1) on time-major (B, T, C_in) -> (B, T, C_out)."""
    return F.conv1d(x.transpose(1, 2), weight, bias, padding=1).transpose(1, 2)


@pytest.mark.parametrize("t", [1, 2, 3, 4, 5, 7, 8, 13])
@pytest.mark.parametrize("b", [1, 2, 3])
@pytest.mark.parametrize("with_bias", [False, True])
def test_float64_equals_conv1d(t, b, with_bias):
    g = torch.Generator().manual_seed(100 * t + 10 * b + with_bias)
    c_in, c_out = 5, 6
    x = torch.randn(b, t, c_in, generator=g, dtype=torch.float64)
    weight = torch.randn(c_out, c_in, 3, generator=g, dtype=torch.float64)
    bias = torch.randn(c_out, generator=g, dtype=torch.float64) if with_bias else None
    out = winograd_conv3(x, weight, bias)
    assert out.shape == (b, t, c_out) and out.dtype == torch.float64
    torch.testing.assert_close(out, conv_reference(x, weight, bias), atol=1e-10, rtol=0)


@pytest.mark.parametrize("c_in,c_out", [(1, 1), (1, 7), (7, 1), (33, 17)])
def test_float64_equals_conv1d_channel_shapes(c_in, c_out):
    x = torch.randn(2, 11, c_in, dtype=torch.float64)
    weight = torch.randn(c_out, c_in, 3, dtype=torch.float64)
    bias = torch.randn(c_out, dtype=torch.float64)
    torch.testing.assert_close(winograd_conv3(x, weight, bias), conv_reference(x, weight, bias), atol=1e-10, rtol=0)


def test_non_contiguous_input_is_accepted():
    """The module passes a (B, C, T) tensor transposed to (B, T, C): a non-contiguous view."""
    x_ct = torch.randn(2, 6, 9, dtype=torch.float64)  # (B, C, T) memory
    x = x_ct.transpose(1, 2)
    assert not x.is_contiguous()
    weight = torch.randn(4, 6, 3, dtype=torch.float64)
    torch.testing.assert_close(winograd_conv3(x, weight), conv_reference(x, weight), atol=1e-10, rtol=0)


def winograd_error_scale(x, weight, bias):
    """S (B, T, C_out): the sum, over everything one output adds up, of the absolute values
    of the terms, through the transforms' absolute values:
    S_i = |b| + sum_p |A^T|[i, p] sum_c (|G| |w_c|)_p (|B^T| |d_c|)_p for output i of a tile
    (d_c: the tile's 6 inputs of channel c, zero-padded as the convolution pads)."""
    at, bt, g = (torch.tensor(m, dtype=torch.float64).abs() for m in (_AT, _BT, _G))
    b, t, _ = x.shape
    tiles = -(-t // TILE)
    u = torch.einsum("pj,oij->poi", g, weight.double().abs())  # |G| |w|: (6, C_out, C_in)
    d = F.pad(x.double().abs(), (0, 0, 1, TILE * tiles + 1 - t)).unfold(1, TILE + 2, TILE)  # (B, nt, C, 6)
    v = torch.einsum("pj,bncj->bnpc", bt, d)  # |B^T| |d|: (B, nt, 6, C_in)
    m = torch.einsum("poi,bnpi->bnpo", u, v)  # (B, nt, 6, C_out)
    s = torch.einsum("kp,bnpo->bnko", at, m).reshape(b, TILE * tiles, -1)[:, :t]
    return s + bias.double().abs()


def test_float32_error_is_within_the_rounding_error_bound():
    """Winograd F(4, 3) in float32 against the exact (float64) convolution, within the
    worst-case rounding error bound of the algorithm, which holds whatever the CPU, the BLAS or
    its summation order.

    Each output is y_i = b + sum_p A^T[i, p] sum_c U_pc V_pc, U = G w_c, V = B^T d_c. With unit
    roundoff u = eps / 2 and gamma_n = n u / (1 - n u), the standard model of floating-point
    arithmetic bounds the computed ŷ_i (Higham, Accuracy and Stability of Numerical
    Algorithms, 2nd ed., section 3.1, applied to each stage):
      V: sums of at most 4 products per row of B^T          -> relative error gamma_4
      U: sums of 3 products with G's rounded entries (1/6)  -> gamma_4
      m_p = sum_c U_pc V_pc over C_in channels (the GEMMs)  -> gamma_(C_in)
      y: 6 products with A^T plus the bias                  -> gamma_7
    to first order |ŷ_i - y_i| <= gamma_n S_i, n = C_in + 15, with S the sum of the absolute
    terms through |A^T|, |G|, |B^T| (``winograd_error_scale``). The transforms' entries (up to
    8 in A^T, 5 in B^T) make S up to ~20x the direct convolution's sum_c,j |x| |w| here:
    that is where Winograd loses accuracy against a direct convolution, and what the bound
    accounts for. (On an AVX-512 Xeon the error measured 1.05e-5 = 0.44 u S, a direct float32
    convolution 1.7e-6.)
    """
    g = torch.Generator().manual_seed(0)
    c = 512
    x = torch.randn(2, 29, c, generator=g)
    weight = torch.randn(c, c, 3, generator=g) / (3 * c) ** 0.5  # unit-scale outputs
    bias = torch.randn(c, generator=g)
    out = winograd_conv3(x, weight, bias)
    assert out.dtype == torch.float32
    exact = conv_reference(x.double(), weight.double(), bias.double())
    assert exact.std() > 0.5  # the data is unit-scale: the bound below is not vacuous
    u = torch.finfo(torch.float32).eps / 2
    n = c + 15
    gamma = n * u / (1 - n * u)
    bound = gamma * winograd_error_scale(x, weight, bias)
    err = (out.double() - exact).abs()
    worst = (err / bound).max().item()
    assert worst <= 1.0, (
        f"error {err.max().item():.3g} exceeds the bound: max error / bound = {worst:.3g} "
        f"(bound at the worst output {bound.flatten()[(err / bound).argmax()].item():.3g})"
    )
    # the bound is tight enough to matter: errors a transform bug would cause are O(1)
    assert bound.max().item() < 0.05, bound.max().item()
    print(f"winograd float32: max error {err.max().item():.3g}, max bound {bound.max().item():.3g}")


@pytest.mark.parametrize("t", [1, 3, 4, 6, 9])
@pytest.mark.parametrize("with_bias", [False, True])
def test_gradcheck_float64(t, with_bias):
    g = torch.Generator().manual_seed(t)
    x = torch.randn(2, t, 3, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    inputs = (x, weight)
    if with_bias:
        inputs += (torch.randn(4, generator=g, dtype=torch.float64, requires_grad=True),)
    assert torch.autograd.gradcheck(winograd_conv3, inputs)


@pytest.mark.parametrize("requires", [(True, False, False), (False, True, False), (False, False, True), (True, False, True), (False, True, True)])
def test_gradcheck_with_only_some_inputs_requiring_grad(requires):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(1, 6, 3, generator=g, dtype=torch.float64)
    weight = torch.randn(2, 3, 3, generator=g, dtype=torch.float64)
    bias = torch.randn(2, generator=g, dtype=torch.float64)
    for tensor, flag in zip((x, weight, bias), requires):
        tensor.requires_grad_(flag)
    assert torch.autograd.gradcheck(winograd_conv3, (x, weight, bias))


def test_gradients_equal_conv1d_gradients():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(3, 10, 5, generator=g, dtype=torch.float64)
    weight = torch.randn(7, 5, 3, generator=g, dtype=torch.float64)
    bias = torch.randn(7, generator=g, dtype=torch.float64)
    grad_out = torch.randn(3, 10, 7, generator=g, dtype=torch.float64)

    def grads(fn):
        leaves = [t.detach().clone().requires_grad_(True) for t in (x, weight, bias)]
        fn(*leaves).backward(grad_out)
        return [leaf.grad for leaf in leaves]

    for ours, ref in zip(grads(winograd_conv3), grads(conv_reference)):
        torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)


def test_no_grad_inputs_give_output_without_graph():
    x = torch.randn(1, 5, 3, dtype=torch.float64)
    weight = torch.randn(2, 3, 3, dtype=torch.float64)
    assert not winograd_conv3(x, weight).requires_grad


def test_kernel_transform_shape_and_transformed_argument():
    x = torch.randn(2, 11, 6, dtype=torch.float64)
    weight = torch.randn(5, 6, 3, dtype=torch.float64)
    bias = torch.randn(5, dtype=torch.float64)
    u = kernel_transform(weight)
    assert u.shape == (6, 5, 6)  # (points, C_out, C_in)
    torch.testing.assert_close(u[0], weight[..., 0] / 4)  # rows of G: (1/4, 0, 0) ... (0, 0, 1)
    torch.testing.assert_close(u[5], weight[..., 2])
    torch.testing.assert_close(winograd_conv3(x, weight, bias, transformed=u), winograd_conv3(x, weight, bias), atol=0, rtol=0)
    torch.testing.assert_close(winograd_conv3(x, weight, bias, transformed=u), conv_reference(x, weight, bias), atol=1e-10, rtol=0)


def test_transformed_argument_float32():
    x = torch.randn(2, 9, 32)
    weight = torch.randn(40, 32, 3)
    with torch.no_grad():
        u = kernel_transform(weight)
    torch.testing.assert_close(winograd_conv3(x, weight, transformed=u), winograd_conv3(x, weight), atol=0, rtol=0)


def test_kernel_transform_carries_the_weight_gradient():
    weight = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(kernel_transform, (weight,))


@pytest.mark.parametrize(
    "x_shape,w_shape",
    [
        ((5, 4), (2, 4, 3)),  # x not 3-D
        ((1, 5, 4, 1), (2, 4, 3)),
        ((1, 5, 4), (2, 4)),  # weight not 3-D
        ((1, 5, 4), (2, 4, 5)),  # kernel size 5
        ((1, 5, 4), (2, 4, 1)),
        ((1, 5, 4), (2, 3, 3)),  # C_in mismatch
        ((1, 4, 5), (2, 4, 3)),  # (B, C, T) passed instead of (B, T, C)
    ],
)
def test_bad_shapes_raise(x_shape, w_shape):
    with pytest.raises(ValueError, match="winograd_conv3"):
        winograd_conv3(torch.randn(x_shape), torch.randn(w_shape))


def test_applies_only_to_float32_and_float64_on_cpu_without_autocast():
    x = torch.randn(2, 8, 4)
    assert winograd_applies(x)
    assert winograd_applies(x.double())
    assert not winograd_applies(x.bfloat16())
    assert not winograd_applies(x.half())
    assert not winograd_applies(x.to("meta"))  # not the CPU
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not winograd_applies(x)
        assert not winograd_applies(x.double())
    assert winograd_applies(x)  # autocast left: applies again


def test_mismatched_dtypes_are_a_clear_error():
    x = torch.randn(1, 8, 4)
    with pytest.raises(ValueError, match="one dtype"):
        winograd_conv3(x, torch.randn(3, 4, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="bias"):
        winograd_conv3(x, torch.randn(3, 4, 3), torch.randn(5))


@pytest.mark.parametrize("chunk", [1, 4, 5, 8, 12, 100])
def test_chunked_equals_whole(chunk):
    """Runs of whole tiles: the same arithmetic per tile, written into one output."""
    x = torch.randn(2, 23, 6, dtype=torch.float64)
    weight = torch.randn(5, 6, 3, dtype=torch.float64)
    bias = torch.randn(5, dtype=torch.float64)
    torch.testing.assert_close(winograd_conv3(x, weight, bias, chunk=chunk), conv_reference(x, weight, bias), atol=1e-10, rtol=0)


@pytest.mark.parametrize("t,chunk", [(23, 8), (24, 8), (9, 4), (40, 12)])
def test_strided_input_in_runs_without_autograd(t, chunk):
    """(C, T) memory seen as (B, T, C): run by run, each from its own time-major copy."""
    x = torch.randn(2, 6, t, dtype=torch.float64).transpose(1, 2)
    assert not x.is_contiguous()
    weight = torch.randn(5, 6, 3, dtype=torch.float64)
    bias = torch.randn(5, dtype=torch.float64)
    with torch.no_grad():
        out = winograd_conv3(x, weight, bias, chunk=chunk)
    torch.testing.assert_close(out, conv_reference(x, weight, bias), atol=1e-10, rtol=0)


@pytest.mark.parametrize("t", [7, 8])  # a partial last tile, whole tiles
def test_mask_multiplies_output_and_gradient(t):
    g = torch.Generator().manual_seed(t)
    x = torch.randn(2, t, 5, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(6, 5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.ones(2, t, dtype=torch.float64)
    mask[1, 5:] = 0
    out = winograd_conv3(x, weight, bias, mask=mask)
    expected = conv_reference(x, weight, bias) * mask[..., None]
    torch.testing.assert_close(out, expected, atol=1e-10, rtol=0)
    assert torch.count_nonzero(out[1, 5:]) == 0
    assert torch.autograd.gradcheck(lambda a, w, b: winograd_conv3(a, w, b, mask=mask), (x, weight, bias))


def test_mask_in_strided_runs_without_autograd():
    x = torch.randn(1, 6, 40, dtype=torch.float64).transpose(1, 2)  # (B, T, C) view of (C, T) memory
    weight = torch.randn(4, 6, 3, dtype=torch.float64)
    mask = (torch.arange(40) < 29).to(torch.float64)[None]
    with torch.no_grad():
        out = winograd_conv3(x, weight, chunk=8, mask=mask)
    torch.testing.assert_close(out, conv_reference(x, weight) * mask[..., None], atol=1e-10, rtol=0)


def test_mask_shape_is_checked():
    with pytest.raises(ValueError, match=r"mask must be \(B, T\)"):
        winograd_conv3(torch.randn(2, 8, 3), torch.randn(4, 3, 3), mask=torch.ones(2, 1, 8))
