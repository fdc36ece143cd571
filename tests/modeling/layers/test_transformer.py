"""Transformer block pieces: AffineDropPath's fused fast path against the original formulation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actionformer.modeling.layers import AffineDropPath, TransformerBlock, fast_kernels
from actionformer.modeling.layers.transformer import residual_add


def affine_drop_path(drop_prob):
    path = AffineDropPath(8, drop_prob=drop_prob)
    with torch.no_grad():
        path.scale.normal_()
    return path


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_fast_path_drops_the_same_samples_as_the_original(training):
    path = affine_drop_path(0.5).train(training)
    x, residual = torch.randn(16, 8, 5), torch.randn(16, 8, 5)
    results = {}
    for fast in (True, False):
        torch.manual_seed(3)
        with fast_kernels(fast):
            results[fast] = (path(x), path.add_to(residual, x))
    for ours, theirs in zip(results[True], results[False]):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=1e-6)
    dropped = results[True][0].abs().sum(dim=(1, 2)) == 0
    assert dropped.any() == training and not dropped.all()  # whole samples dropped, in training only


def test_add_to_gradients_match_the_original():
    path = affine_drop_path(0.3).train()
    x = torch.randn(6, 8, 5, requires_grad=True)
    grads = {}
    for fast in (True, False):
        torch.manual_seed(7)
        with fast_kernels(fast):
            path.add_to(torch.zeros(6, 8, 5), x).square().sum().backward()
        grads[fast] = (x.grad.clone(), path.scale.grad.clone())
        x.grad, path.scale.grad = None, None
    for ours, theirs in zip(grads[True], grads[False]):
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


def test_residual_add_with_identity():
    x, residual = torch.randn(2, 8, 5), torch.randn(2, 8, 5)
    assert torch.equal(residual_add(nn.Identity(), residual, x), residual + x)


def test_block_fast_path_equals_reference_in_training():
    torch.manual_seed(0)
    block = TransformerBlock(16, 2, mha_win_size=5, path_pdrop=0.2).train()
    x = torch.randn(4, 16, 12)
    mask = torch.ones(4, 1, 12, dtype=torch.bool)
    mask[1, :, 9:] = False
    outs = {}
    for fast in (True, False):
        torch.manual_seed(5)
        with fast_kernels(fast):
            outs[fast] = block(x * mask, mask)[0]
    torch.testing.assert_close(outs[True], outs[False], atol=1e-5, rtol=1e-5)
