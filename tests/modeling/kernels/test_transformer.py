"""CpuTransformerBlock (in-place masks, chunked MLP with GELU in place, time-major skip pool)
against the standard block on the same parameters."""

from __future__ import annotations

import copy

import pytest
import torch

from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.transformer import CpuSkipPool, CpuTransformerBlock
from actionformer.modeling.layers import TransformerBlock

from .compare import assert_same_forward_and_backward


def blocks(strides=(1, 1), path_pdrop=0.2):
    torch.manual_seed(0)
    standard = TransformerBlock(16, 2, n_ds_strides=strides, mha_win_size=5, path_pdrop=path_pdrop)
    cpu = copy.deepcopy(standard)
    assert use_cpu_kernels(cpu) > 0 and isinstance(cpu, CpuTransformerBlock)
    return standard, cpu


def batch(t=12):
    x = torch.randn(4, 16, t)
    mask = torch.ones(4, 1, t, dtype=torch.bool)
    mask[1, :, 9:] = False
    return x * mask, mask


@pytest.mark.parametrize("strides", [(1, 1), (2, 2)])
def test_training_forward_and_gradients_equal_the_standard_block(strides):
    standard, cpu = blocks(strides)
    x, mask = batch()
    standard.train()
    cpu.train()
    assert_same_forward_and_backward(standard, cpu, x, mask, seed=5)  # the same drop-path draw
    if strides[0] > 1:
        assert isinstance(cpu.pool_skip, CpuSkipPool)


def test_chunked_inference_mlp_equals_the_standard_block():
    standard, cpu = blocks()
    cpu.inference_chunk = 5  # 12 steps: chunks of 5, 5, 2
    x, mask = batch()
    with torch.no_grad():
        ours = cpu.eval()(x, mask)[0]
        theirs = standard.eval()(x, mask)[0]
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
