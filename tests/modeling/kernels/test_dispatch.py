"""The one dispatch point: models convert once at build time; CPU variants fall back to the
standard formulation for inputs on other devices."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from actionformer.modeling import make_meta_arch
from actionformer.modeling.kernels import runs_here, time_major_batches, use_cpu_kernels
from actionformer.modeling.kernels.dispatch import cpu_variant
from actionformer.modeling.layers import LayerNorm, MaskedConv1D, TransformerBlock


def cpu_modules(model: nn.Module):
    return [type(m).__name__ for m in model.modules() if type(m).__module__.startswith("actionformer.modeling.kernels")]


def test_models_choose_at_build_time(tiny_config):
    torch.manual_seed(0)
    ours = make_meta_arch("LocPointTransformer", **tiny_config())
    torch.manual_seed(0)
    reference = make_meta_arch("LocPointTransformer", **tiny_config(), cpu_kernels=False)
    assert ours.cpu_kernels and not reference.cpu_kernels
    assert {"CpuMaskedConv1D", "CpuLayerNorm", "CpuTransformerBlock", "CpuClsHead", "CpuRegHead"} <= set(cpu_modules(ours))
    assert cpu_modules(reference) == []
    # the same parameters under the same keys: checkpoints load either way
    for (k1, v1), (k2, v2) in zip(ours.state_dict().items(), reference.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)


def test_conversion_keeps_parameters_and_survives_deepcopy():
    block = TransformerBlock(16, 2, n_ds_strides=(2, 2), mha_win_size=5)
    params = {name: p for name, p in block.named_parameters()}
    assert use_cpu_kernels(block) > 0
    assert all(p is params[name] for name, p in block.named_parameters())
    clone = copy.deepcopy(block)
    assert type(clone) is type(block) and type(clone.attn.query_conv) is type(block.attn.query_conv)


def test_variants_run_the_standard_formulation_off_the_cpu():
    """A converted block moved off the CPU (meta here, as a model moved to a GPU) takes its
    parent's forward everywhere: contiguous (B, C, T) outputs, no time-major views."""
    block = TransformerBlock(16, 2, mha_win_size=5)
    use_cpu_kernels(block)
    block = block.to("meta").eval()
    x = torch.empty(2, 16, 12, device="meta")
    mask = torch.ones(2, 1, 12, dtype=torch.bool, device="meta")
    out, _ = block(x, mask)
    assert out.shape == (2, 16, 12) and out.is_contiguous()
    assert not runs_here(x) and runs_here(torch.empty(1))


def test_time_major_batches_only_on_the_cpu():
    assert time_major_batches(torch.device("cpu"))
    assert not time_major_batches(torch.device("meta"))


def test_subclasses_are_not_converted():
    """A subclass of a standard layer may compute something else: it keeps its forward."""

    class Custom(LayerNorm):
        pass

    norm = Custom(4)
    assert use_cpu_kernels(norm) == 0 and type(norm) is Custom


def test_a_variant_must_subclass_its_standard_layer():
    with pytest.raises(TypeError, match="must subclass"):
        cpu_variant(MaskedConv1D)(LayerNorm)
