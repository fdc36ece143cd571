"""apply_mask / mask_is_full: the all-valid skip is exact and only checked on the CPU."""

from __future__ import annotations

import torch

from actionformer.modeling.layers.masking import apply_mask, mask_is_full


def test_mask_is_full(full_mask, partial_mask):
    assert mask_is_full(full_mask)
    assert not mask_is_full(partial_mask)
    assert not mask_is_full(full_mask.to("meta"))  # checked on the CPU only


def test_full_mask_returns_the_same_object(full_mask):
    x = torch.randn(2, 3, 7)
    before = x.clone()
    assert apply_mask(x, full_mask) is x
    assert torch.equal(x, before)


def test_partial_mask_multiplies_out_of_place(partial_mask):
    x = torch.randn(2, 3, 7)
    before = x.clone()
    mask = partial_mask
    out = apply_mask(x, mask)
    assert out is not x
    assert torch.equal(x, before)
    assert torch.equal(out, x * mask.float())
    assert torch.count_nonzero(out[1, :, 4:]) == 0
    assert torch.equal(out[0], x[0]) and torch.equal(out[1, :, :4], x[1, :, :4])


def test_keeps_dtype(partial_mask):
    x = torch.randn(2, 3, 7, dtype=torch.float64)
    assert apply_mask(x, partial_mask).dtype == torch.float64
    assert apply_mask(x.bfloat16(), partial_mask).dtype == torch.bfloat16
