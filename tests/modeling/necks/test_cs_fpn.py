"""The cross-scale neck: levels, the bottom-up path, padding."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import NECKS


def _inputs(lengths=(32, 16, 8, 4), channels=6, seed=0, valid=None):
    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(1, channels, t, generator=g) for t in lengths]
    masks = [torch.ones(1, 1, t, dtype=torch.bool) for t in lengths]
    if valid is not None:  # valid steps at the finest level; coarser levels keep every s-th step's mask
        for level, m in enumerate(masks):
            m[..., -(-valid // 2**level):] = False
            feats[level] = feats[level] * m
    return feats, masks


def test_levels_channels_and_start_level():
    neck = NECKS.build("cs_fpn", in_channels=[6] * 4, out_channel=5, scale_factor=2, start_level=1)
    feats, masks = _inputs()
    out, out_masks = neck(feats, masks)
    assert [tuple(x.shape) for x in out] == [(1, 5, 16), (1, 5, 8), (1, 5, 4)]
    assert neck.out_channels == 5 and all(m is masks[i + 1] for i, m in enumerate(out_masks))


def test_coarse_levels_see_the_fine_levels_bottom_up_unlike_fpn():
    """Changing the finest input changes the coarsest output of cs_fpn (bottom-up path), not
    of fpn (top-down only)."""
    torch.manual_seed(0)
    feats, masks = _inputs()
    changed = [x.clone() for x in feats]
    changed[0] = changed[0] + 1.0
    for name, moves in (("cs_fpn", True), ("fpn", False)):
        neck = NECKS.build(name, in_channels=[6] * 4, out_channel=6, scale_factor=2)
        with torch.no_grad():
            before, after = neck(feats, masks)[0][-1], neck(changed, masks)[0][-1]
        assert (not torch.allclose(before, after)) == moves, name


def test_padding_steps_are_zero_before_the_norm_and_do_not_leak():
    """A short sequence padded to 32 and the same steps padded to 64 give the same outputs."""
    torch.manual_seed(0)
    neck = NECKS.build("cs_fpn", in_channels=[6] * 4, out_channel=6, scale_factor=2, with_ln=False)
    feats, masks = _inputs(valid=20)
    long_feats = [torch.cat([x, torch.zeros_like(x)], dim=-1) for x in feats]
    long_masks = [torch.cat([m, torch.zeros_like(m)], dim=-1) for m in masks]
    with torch.no_grad():
        short, _ = neck(feats, masks)
        long, _ = neck(long_feats, long_masks)
    for a, b, m in zip(short, long, masks):
        assert bool((a[..., ~m[0, 0]] == 0).all())
        torch.testing.assert_close(a, b[..., : a.shape[-1]])


def test_bad_scale_factor():
    with pytest.raises(ValueError, match="integer scale_factor"):
        NECKS.build("cs_fpn", in_channels=[6] * 2, out_channel=6, scale_factor=1.5)
