"""apply_mask / mask_is_full: the all-valid skip is exact and only taken on the fast CPU path."""

from __future__ import annotations

import torch

from actionformer.modeling.layers.fastpath import fast_kernels, fast_kernels_enabled
from actionformer.modeling.layers.masking import apply_mask, mask_is_full


def full_mask(b=2, t=7):
    return torch.ones(b, 1, t, dtype=torch.bool)


def partial_mask(b=2, t=7):
    mask = full_mask(b, t)
    mask[1, :, 4:] = False
    return mask


def test_mask_is_full():
    assert fast_kernels_enabled()
    assert mask_is_full(full_mask())
    assert not mask_is_full(partial_mask())
    with fast_kernels(False):
        assert not mask_is_full(full_mask())
    assert mask_is_full(full_mask())  # the switch is restored
    assert not mask_is_full(full_mask().to("meta"))  # checked on the CPU only


def test_full_mask_returns_the_same_object():
    x = torch.randn(2, 3, 7)
    before = x.clone()
    assert apply_mask(x, full_mask()) is x
    assert apply_mask(x, full_mask(), inplace=True) is x
    assert torch.equal(x, before)


def test_partial_mask_multiplies():
    x = torch.randn(2, 3, 7)
    before = x.clone()
    mask = partial_mask()
    out = apply_mask(x, mask)
    assert out is not x
    assert torch.equal(x, before)  # not in place by default
    assert torch.equal(out, x * mask.float())
    assert torch.count_nonzero(out[1, :, 4:]) == 0
    assert torch.equal(out[0], x[0]) and torch.equal(out[1, :, :4], x[1, :, :4])


def test_full_mask_multiplies_with_fast_kernels_off():
    x = torch.randn(2, 3, 7)
    with fast_kernels(False):
        out = apply_mask(x, full_mask())
    assert out is not x
    assert torch.equal(out, x)


def test_inplace_modifies_x():
    x = torch.randn(2, 3, 7)
    expected = x * partial_mask().float()
    out = apply_mask(x, partial_mask(), inplace=True)
    assert out is x
    assert torch.equal(x, expected)
    with fast_kernels(False):  # the reference path multiplies out of place, as the original
        y = torch.randn(2, 3, 7)
        before = y.clone()
        out = apply_mask(y, full_mask(), inplace=True)
        assert out is not y and torch.equal(out, before)
        out = apply_mask(y, partial_mask(), inplace=True)
        assert out is not y and torch.equal(y, before) and torch.equal(out, expected * 0 + before * partial_mask())


def test_inplace_under_autograd_gives_the_gradient():
    w = torch.randn(2, 3, 7, requires_grad=True)
    out = apply_mask(w * 2.0, partial_mask(), inplace=True)  # a fresh intermediate
    out.sum().backward()
    assert torch.equal(w.grad, 2.0 * partial_mask().float().expand(2, 3, 7))


def test_keeps_dtype():
    x = torch.randn(2, 3, 7, dtype=torch.float64)
    assert apply_mask(x, partial_mask()).dtype == torch.float64
    assert apply_mask(x.bfloat16(), partial_mask()).dtype == torch.bfloat16


def test_inplace_request_on_a_view_under_autograd_multiplies_out_of_place():
    """An in-place update of a view would cost autograd a copy of its whole base in the
    backward: under autograd a view is masked out of place (the result is the same)."""
    w = torch.randn(2, 7, 3, requires_grad=True)
    view = (w * 2.0).transpose(1, 2)  # a (B, C, T) view of fresh time-major memory
    out = apply_mask(view, partial_mask(), inplace=True)
    assert out is not view
    out.sum().backward()
    assert torch.equal(w.grad, 2.0 * partial_mask().float().expand(2, 3, 7).transpose(1, 2))
    with torch.no_grad():
        fresh = (w * 2.0).transpose(1, 2)
        assert apply_mask(fresh, partial_mask(), inplace=True) is fresh  # no autograd: in place
