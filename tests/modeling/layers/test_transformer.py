"""Transformer block pieces: AffineDropPath's folded factor against the original formulation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actionformer.modeling.layers import AffineDropPath, drop_path
from actionformer.modeling.layers.transformer import residual_add


def original(path, residual, x):
    """The original's formulation: ``drop_path(scale * x)``, then the residual sum."""
    out = drop_path(path.scale * x, path.drop_prob, path.training)
    return out, residual + out


def affine_drop_path(drop_prob):
    path = AffineDropPath(8, drop_prob=drop_prob)
    with torch.no_grad():
        path.scale.normal_()
    return path


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_folded_factor_drops_the_same_samples_as_the_original(training):
    path = affine_drop_path(0.5).train(training)
    x, residual = torch.randn(16, 8, 5), torch.randn(16, 8, 5)
    results = {}
    torch.manual_seed(3)
    results[True] = (path(x), path.add_to(residual, x))
    torch.manual_seed(3)  # the same two draws, in the same order
    results[False] = (original(path, residual, x)[0], original(path, residual, x)[1])
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
        zeros = torch.zeros(6, 8, 5)
        out = path.add_to(zeros, x) if fast else original(path, zeros, x)[1]
        out.square().sum().backward()
        grads[fast] = (x.grad.clone(), path.scale.grad.clone())
        x.grad, path.scale.grad = None, None
    for ours, theirs in zip(grads[True], grads[False]):
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)


def test_residual_add_with_identity():
    x, residual = torch.randn(2, 8, 5), torch.randn(2, 8, 5)
    assert torch.equal(residual_add(nn.Identity(), residual, x), residual + x)
