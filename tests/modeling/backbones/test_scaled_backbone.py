"""The scaled backbone (TBT-Former): `model.backbone.mlp_ratio` and `model.n_head` on both
transformer backbones; the default keeps the original network."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from actionformer.config import ConfigurationError, load_config
from actionformer.modeling import make_meta_arch
from actionformer.modeling.backbones.base import BackboneSpec
from actionformer.modeling.registries import BACKBONES

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def _spec(**options):
    return BackboneSpec(input_dim=12, embd_dim=16, n_head=4, embd_kernel_size=3, max_seq_len=64,
                        arch=(2, 1, 2), mha_win_size=[5, 5, 5], scale_factor=2, embd_with_ln=True,
                        options=options)


def _mlp_widths(backbone):
    return {blk.mlp[0].out_channels if isinstance(blk.mlp, torch.nn.Sequential) else None
            for blk in list(backbone.stem) + list(backbone.branch)}


@pytest.mark.parametrize("name", ["convTransformer", "convTransformerv2"])
def test_mlp_ratio_sets_every_blocks_hidden_width(name):
    assert _mlp_widths(BACKBONES.get(name).from_spec(_spec())) == {64}
    assert _mlp_widths(BACKBONES.get(name).from_spec(_spec(mlp_ratio=6))) == {96}


@pytest.mark.parametrize("name", ["convTransformer", "convTransformerv2"])
def test_default_ratio_is_the_original_network(name):
    torch.manual_seed(0)
    plain = BACKBONES.get(name).from_spec(_spec())
    torch.manual_seed(0)
    explicit = BACKBONES.get(name).from_spec(_spec(mlp_ratio=4))
    a, b = plain.state_dict(), explicit.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_conv_backbone_refuses_a_ratio_it_cannot_use_but_accepts_the_default():
    BACKBONES.get("conv").from_spec(_spec(mlp_ratio=4))
    with pytest.raises(ValueError, match="mlp_ratio=6"):
        BACKBONES.get("conv").from_spec(_spec(mlp_ratio=6))


def test_config_keys_reach_the_model_flat_or_nested():
    cfg = load_config(CONFIGS / "thumos_i3d.yaml", overrides=["model.mlp_ratio=6", "model.n_head=16"])
    assert cfg["model"]["backbone"] == {"mlp_ratio": 6} and "mlp_ratio" not in cfg["model"]
    with torch.device("meta"):
        model = make_meta_arch(cfg["model_name"], **cfg["model"])
    block = model.backbone.stem[0]
    assert block.mlp[0].out_channels == 6 * 512 and block.attn.n_head == 16
    assert load_config(CONFIGS / "thumos_i3d.yaml")["model"]["backbone"] == {"mlp_ratio": 4}
    with pytest.raises(ConfigurationError, match="mlp_ratio"):
        load_config(CONFIGS / "thumos_i3d.yaml", overrides=["model.backbone_type=conv", "model.backbone.mlp_ratio=6"])
    with pytest.raises(ConfigurationError, match="mlp_ratio"):
        load_config(CONFIGS / "thumos_i3d.yaml", overrides=["model.backbone.mlp_ratio=0"])
