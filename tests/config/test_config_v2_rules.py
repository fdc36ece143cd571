"""Config rules for the convTransformerv2 backbone's `model.backbone` switches."""

from __future__ import annotations

import pytest

from actionformer.config import ConfigurationError, config_from_dict, validate_config

V2 = "model.backbone_type=convTransformerv2"


def _problems(*overrides: str) -> list:
    cfg = config_from_dict({}, overrides=list(overrides), validate=False)
    with pytest.raises(ConfigurationError) as err:
        validate_config(cfg)
    return err.value.problems


def _valid(*overrides: str) -> None:
    validate_config(config_from_dict({}, overrides=list(overrides), validate=False))


def test_all_switches_on_is_valid_for_v2():
    _valid(V2, "model.backbone.use_rope=true", "model.backbone.use_swiglu=true",
           "model.backbone.use_rms_norm=true", "model.backbone.n_kv_head=2")


def test_v2_rejects_rel_pe_and_odd_rope_heads():
    assert _problems(V2, "model.use_rel_pe=true") == [
        "model.use_rel_pe: convTransformerv2 has no learned relative bias; use "
        "model.backbone.use_rope for relative positions"]
    problems = _problems(V2, "model.backbone.use_rope=true", "dataset.input_dim=12",
                         "model.embd_dim=12", "model.fpn_dim=12", "model.head_dim=12",
                         "model.n_head=4")
    assert problems == [
        "model.backbone.use_rope: rotary embeddings rotate channel pairs, so the head width "
        "(model.embd_dim / model.n_head = 3) must be even"]


def test_v2_scale_factor_must_be_even():
    base = [V2, "model.backbone_arch=[2, 2, 2]", "model.regression_range=[[0,4],[4,8],[8,10000]]",
            "dataset.max_seq_len=2304"]
    assert _problems(*base, "model.scale_factor=3") == [
        "model.scale_factor: the convTransformerv2 backbone downsamples with strided attention, "
        "which needs 1 or an even factor, got 3"]
