"""mask_fresh: masking a fresh intermediate in place where that pays, with the same result."""

from __future__ import annotations

import torch

from actionformer.modeling.kernels.masking import mask_fresh, overwrite_pays


def test_full_mask_returns_x_unchanged(full_mask):
    x = torch.randn(2, 3, 7)
    before = x.clone()
    assert mask_fresh(x, full_mask) is x
    assert torch.equal(x, before)


def test_partial_mask_modifies_x_in_place(partial_mask):
    x = torch.randn(2, 3, 7)
    expected = x * partial_mask.float()
    out = mask_fresh(x, partial_mask)
    assert out is x
    assert torch.equal(x, expected)


def test_in_place_under_autograd_gives_the_gradient(partial_mask):
    w = torch.randn(2, 3, 7, requires_grad=True)
    out = mask_fresh(w * 2.0, partial_mask)  # a fresh intermediate
    out.sum().backward()
    assert torch.equal(w.grad, 2.0 * partial_mask.float().expand(2, 3, 7))


def test_view_under_autograd_is_masked_out_of_place(partial_mask):
    """An in-place update of a view would cost autograd a copy of its whole base in the
    backward: under autograd a view is masked out of place (the result is the same)."""
    w = torch.randn(2, 7, 3, requires_grad=True)
    view = (w * 2.0).transpose(1, 2)  # a (B, C, T) view of fresh time-major memory
    assert not overwrite_pays(view)
    out = mask_fresh(view, partial_mask)
    assert out is not view
    out.sum().backward()
    assert torch.equal(w.grad, 2.0 * partial_mask.float().expand(2, 3, 7).transpose(1, 2))
    with torch.no_grad():
        fresh = (w * 2.0).transpose(1, 2)
        assert overwrite_pays(fresh)
        assert mask_fresh(fresh, partial_mask) is fresh  # no autograd: in place
