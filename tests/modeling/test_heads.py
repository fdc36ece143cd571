"""The heads: v2 towers (a 1x1 projection, a residual around every pair of convs)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import HEADS
from actionformer.modeling.heads import ClsHead, ClsHeadV2, RegHeadV2


def _levels(channels=8, lengths=(16, 8), batch=2, valid=(12, 6)):
    feats = [torch.randn(batch, channels, t) for t in lengths]
    masks = [(torch.arange(t) < v).view(1, 1, t).expand(batch, 1, t).clone() for t, v in zip(lengths, valid)]
    return feats, masks


def test_v2_heads_are_registered():
    assert HEADS.get("cls_v2") is ClsHeadV2 and HEADS.get("reg_v2") is RegHeadV2


def test_v2_tower_is_a_residual_around_each_pair_of_convs():
    torch.manual_seed(0)
    head = ClsHeadV2(8, 16, num_classes=3, num_layers=3, with_ln=True).eval()
    feats, masks = _levels()
    x, m = feats[0], masks[0]
    with torch.no_grad():
        proj = head.proj(x, m)[0]
        inner = head.act(head.norm[0](head.head[0](proj, m)[0]))
        tower = head.act(head.norm[1](head.head[1](inner, m)[0]) + proj)
        expected = head.cls_head(tower, m)[0]
        torch.testing.assert_close(head(feats, masks)[0], expected)


@pytest.mark.parametrize("num_layers", [1, 2, 3, 4, 5])
def test_v2_heads_any_depth_shapes_and_masked_padding(num_layers):
    feats, masks = _levels()
    cls_out = ClsHeadV2(8, 16, num_classes=3, num_layers=num_layers)(feats, masks)
    reg_out = RegHeadV2(8, 16, fpn_levels=2, num_layers=num_layers)(feats, masks)
    for out, c in ((cls_out, 3), (reg_out, 2)):
        assert [tuple(o.shape) for o in out] == [(2, c, 16), (2, c, 8)]
        for o, m in zip(out, masks):  # padded steps stay zero
            assert bool((o.masked_select(~m.expand_as(o)) == 0).all())
    assert len(ClsHeadV2(8, 16, 3, num_layers=num_layers).head) == num_layers - 1


def test_v2_keeps_the_v1_options():
    head = ClsHeadV2(8, 16, num_classes=4, prior_prob=0.01, empty_cls=[2])
    v1 = ClsHead(8, 16, num_classes=4, prior_prob=0.01, empty_cls=[2])
    torch.testing.assert_close(head.cls_head.conv.bias, v1.cls_head.conv.bias)
    with pytest.raises(ValueError, match="levels"):
        RegHeadV2(8, 16, fpn_levels=3)(*_levels())
