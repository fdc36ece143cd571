"""Heads: the joined-levels fast path equals running each pyramid level alone."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actionformer.modeling.heads import ClsHead, JoinedLevels, RegHead
from actionformer.modeling.layers import fast_kernels


def pyramid(lengths=(40, 20, 10, 5), valid=(33, 20), channels=32, seed=0):
    """Per level (B=2, C, T_l) features and masks; the first video is padded."""
    g = torch.Generator().manual_seed(seed)
    feats, masks = [], []
    for level, t in enumerate(lengths):
        steps = torch.arange(t)
        masks.append(torch.stack([steps < -(-v // 2**level) for v in valid])[:, None, :])
        feats.append(torch.randn(2, channels, t, generator=g) * masks[-1])
    return feats, masks


def heads(channels=32, act_layer=nn.ReLU, with_ln=True):
    torch.manual_seed(0)
    cls = ClsHead(channels, channels, num_classes=5, with_ln=with_ln, act_layer=act_layer)
    reg = RegHead(channels, channels, fpn_levels=4, with_ln=with_ln, act_layer=act_layer)
    for p in list(cls.parameters()) + list(reg.parameters()):  # away from the init
        p.data.add_(torch.randn_like(p) * 0.1)
    return cls, reg


def test_join_places_levels_with_zero_separators():
    feats, masks = pyramid()
    joined = JoinedLevels.join(feats, masks)
    assert joined.spans == [(0, 40), (41, 20), (62, 10), (73, 5)]
    assert joined.x.shape[-1] % 4 == 0 and joined.x.shape[-1] >= 78
    for (s, t), x, m in zip(joined.spans, feats, masks):
        assert torch.equal(joined.x[..., s : s + t], x)
        assert torch.equal(joined.mask[..., s : s + t], m)
    assert torch.equal(joined.separators, torch.tensor([40, 61, 72] + list(range(78, joined.x.shape[-1]))))
    assert not joined.mask[..., joined.separators].any()
    assert joined.x[..., joined.separators].abs().sum() == 0
    assert [p.shape[-1] for p in joined.split(joined.x)] == [40, 20, 10, 5]


@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "autograd"])
@pytest.mark.parametrize(
    "act_layer, with_ln",
    [(nn.ReLU, True), (nn.Sigmoid, True), (nn.ReLU, False)],
    ids=["relu-ln", "sigmoid-ln", "relu-no-ln"],  # separators zeroed before / after the activation, or by the mask
)
def test_joined_heads_equal_per_level_heads(grad, act_layer, with_ln):
    cls, reg = heads(act_layer=act_layer, with_ln=with_ln)
    feats, masks = pyramid()
    with torch.set_grad_enabled(grad):
        with fast_kernels(True):
            fast = cls(feats, masks) + reg(feats, masks)
        with fast_kernels(False):
            reference = cls(feats, masks) + reg(feats, masks)
    assert len(fast) == len(reference) == 8
    for ours, theirs in zip(fast, reference):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    if grad:
        sum(o.square().sum() for o in fast).backward()
        fast_grads = [p.grad.clone() for p in list(cls.parameters()) + list(reg.parameters())]
        for p in list(cls.parameters()) + list(reg.parameters()):
            p.grad = None
        sum(o.square().sum() for o in reference).backward()
        for p, g in zip(list(cls.parameters()) + list(reg.parameters()), fast_grads):
            torch.testing.assert_close(g, p.grad, atol=1e-4, rtol=1e-4)


def test_separators_keep_levels_independent():
    """Changing one level's features leaves every other level's outputs unchanged (up to the
    rounding of Winograd tiles that straddle a separator: the maths cancels, the rounding not)."""
    cls, _ = heads()
    feats, masks = pyramid()
    with torch.no_grad():
        before = cls(feats, masks)
        feats[1] = feats[1] + 1.0
        after = cls(feats, masks)
    for level, (a, b) in enumerate(zip(before, after)):
        if level == 1:
            assert (a - b).abs().max() > 1e-2
        else:
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_heads_share_one_join():
    """The meta-architecture joins the levels once for both heads; the outputs are the same."""
    cls, reg = heads()
    feats, masks = pyramid()
    joined = JoinedLevels.join(feats, masks)
    with torch.no_grad():
        shared = cls(feats, masks, joined) + reg(feats, masks, joined)
        alone = cls(feats, masks) + reg(feats, masks)
    for a, b in zip(shared, alone):
        assert torch.equal(a, b)
