"""CPU variants of the v2 heads (issue 13): on joined levels they give the per-level forward."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from actionformer.modeling.heads import ClsHeadV2, RegHeadV2
from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.heads import CpuClsHeadV2, CpuRegHeadV2

from .pyramid_inputs import padded_pyramid


@pytest.mark.parametrize("num_layers", [2, 3, 4])
@pytest.mark.parametrize("act_layer,with_ln,kernel_size", [(nn.ReLU, True, 3), (nn.GELU, True, 5), (nn.ReLU, False, 3)])
def test_joined_v2_heads_match_the_standard_forward(num_layers, act_layer, with_ln, kernel_size):
    torch.manual_seed(0)
    made = [ClsHeadV2(16, 24, num_classes=5, num_layers=num_layers, act_layer=act_layer, with_ln=with_ln,
                      kernel_size=kernel_size),
            RegHeadV2(16, 24, fpn_levels=4, num_layers=num_layers, act_layer=act_layer, with_ln=with_ln,
                      kernel_size=kernel_size)]
    feats, masks = padded_pyramid(channels=16)
    for head, variant in zip(made, (CpuClsHeadV2, CpuRegHeadV2)):
        for p in head.parameters():  # away from the init
            p.data.add_(torch.randn_like(p) * 0.1)
        reference = copy.deepcopy(head)
        use_cpu_kernels(head)
        assert type(head) is variant
        feats_a = [f.clone().requires_grad_() for f in feats]
        feats_b = [f.clone().requires_grad_() for f in feats]
        ours, theirs = head(feats_a, masks), reference(feats_b, masks)
        for a, b in zip(ours, theirs):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)  # float32 rounding of other kernels
        sum(o.square().sum() for o in ours).backward()
        sum(o.square().sum() for o in theirs).backward()
        for a, b in zip(feats_a, feats_b):
            torch.testing.assert_close(a.grad, b.grad, atol=1e-4, rtol=1e-4)
