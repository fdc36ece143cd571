"""CPU heads: the joined levels give what running each pyramid level alone gives, for any
kernel size (the separators are as wide as the kernels' reach)."""

from __future__ import annotations

import pytest
import torch
from torch import nn


from actionformer.modeling.heads import ClsHead, RegHead
from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.heads import CpuClsHead, CpuRegHead, JoinedLevels

from .pyramid_inputs import padded_pyramid


def heads(channels=32, act_layer=nn.ReLU, with_ln=True, kernel_size=3):
    """The CPU variants of a classification and a regression head."""
    torch.manual_seed(0)
    cls = ClsHead(channels, channels, num_classes=5, with_ln=with_ln, act_layer=act_layer, kernel_size=kernel_size)
    reg = RegHead(channels, channels, fpn_levels=4, with_ln=with_ln, act_layer=act_layer, kernel_size=kernel_size)
    for p in list(cls.parameters()) + list(reg.parameters()):  # away from the init
        p.data.add_(torch.randn_like(p) * 0.1)
    use_cpu_kernels(cls), use_cpu_kernels(reg)
    assert isinstance(cls, CpuClsHead) and isinstance(reg, CpuRegHead)
    return cls, reg


def standard(head, feats, masks):
    """The standard (per-level) forward of a converted head, on its parameters."""
    parent = ClsHead if isinstance(head, ClsHead) else RegHead
    return parent.forward(head, feats, masks)


def test_join_places_levels_with_zero_separators():
    feats, masks = padded_pyramid()
    joined = JoinedLevels.join(feats, masks, gap=1)
    assert joined.spans == [(0, 40), (41, 20), (62, 10), (73, 5)]
    assert joined.x.shape[-1] % 4 == 0 and joined.x.shape[-1] >= 78
    for (s, t), x, m in zip(joined.spans, feats, masks):
        assert torch.equal(joined.x[..., s : s + t], x)
        assert torch.equal(joined.mask[..., s : s + t], m)
    assert torch.equal(joined.separators, torch.tensor([40, 61, 72] + list(range(78, joined.x.shape[-1]))))
    assert not joined.mask[..., joined.separators].any()
    assert joined.x[..., joined.separators].abs().sum() == 0
    assert [p.shape[-1] for p in joined.split(joined.x)] == [40, 20, 10, 5]


def test_wider_gaps_separate_levels_by_that_many_zero_steps():
    feats, masks = padded_pyramid()
    joined = JoinedLevels.join(feats, masks, gap=2)
    assert joined.spans == [(0, 40), (42, 20), (64, 10), (76, 5)]
    assert torch.equal(joined.separators[:6], torch.tensor([40, 41, 62, 63, 74, 75]))
    assert JoinedLevels.join(feats, masks, gap=0).spans == [(0, 40), (40, 20), (60, 10), (70, 5)]


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "autograd"])
@pytest.mark.parametrize(
    "act_layer, with_ln",
    [(nn.ReLU, True), (nn.Sigmoid, True), (nn.ReLU, False)],
    ids=["relu-ln", "sigmoid-ln", "relu-no-ln"],  # separators zeroed before / after the activation, or by the mask
)
def test_joined_heads_equal_per_level_heads(grad, act_layer, with_ln, kernel_size):
    cls, reg = heads(act_layer=act_layer, with_ln=with_ln, kernel_size=kernel_size)
    feats, masks = padded_pyramid()
    with torch.set_grad_enabled(grad):
        fast = cls(feats, masks) + reg(feats, masks)
        reference = standard(cls, feats, masks) + standard(reg, feats, masks)
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
    feats, masks = padded_pyramid()
    with torch.no_grad():
        before = cls(feats, masks)
        feats[1] = feats[1] + 1.0
        after = cls(feats, masks)
    for level, (a, b) in enumerate(zip(before, after)):
        if level == 1:
            assert (a - b).abs().max() > 1e-2
        else:
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
