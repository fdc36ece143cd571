"""CPU variants of the conv attentions against their standard forwards on the same parameters."""

from __future__ import annotations

import copy

import pytest
import torch

from actionformer.modeling.kernels import use_cpu_kernels
from actionformer.modeling.kernels.attention import CpuMaskedMHCA, CpuMaskedMHCAv2
from actionformer.modeling.layers import MaskedMHCA
from actionformer.modeling.layers.attention_v2 import MaskedMHCAv2

from .compare import assert_same_forward_and_backward


def batch(t=16):
    x = torch.randn(2, 16, t)
    mask = torch.ones(2, 1, t, dtype=torch.bool)
    mask[1, :, 11:] = False
    return x * mask, mask


def compare(standard, x, mask):
    cpu = copy.deepcopy(standard)
    use_cpu_kernels(cpu)
    assert_same_forward_and_backward(standard, cpu, x, mask)
    return cpu


@pytest.mark.parametrize("window, stride", [(5, 1), (-1, 1), (5, 2)])
def test_mhca(window, stride):
    torch.manual_seed(0)
    cpu = compare(MaskedMHCA(16, 2, window_size=window, n_qx_stride=stride, n_kv_stride=stride), *batch())
    assert isinstance(cpu, CpuMaskedMHCA)


@pytest.mark.parametrize("kwargs", [dict(window_size=5), dict(window_size=-1, stride=2), dict(use_rope=True, n_kv_head=1)])
def test_mhca_v2(kwargs):
    torch.manual_seed(0)
    cpu = compare(MaskedMHCAv2(16, 2, **kwargs), *batch())
    assert isinstance(cpu, CpuMaskedMHCAv2)
