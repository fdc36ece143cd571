"""Config rules and keys of the boundary-distribution models (TBTFormer's `reg_max`, TriDet's
`num_bins`) and of the cs_fpn neck."""

from __future__ import annotations

import pytest

from actionformer.config import ConfigurationError, config_from_dict


def _load(*overrides: str) -> dict:
    return config_from_dict({}, overrides=list(overrides))


def _problems(*overrides: str) -> list:
    with pytest.raises(ConfigurationError) as err:
        _load(*overrides)
    return err.value.problems


def test_defaults_of_both_models_cover_the_default_ranges():
    tbt = _load("model_name=TBTFormer")
    assert tbt["model"]["reg_max"] == 16 and tbt["model"]["dfl_weight"] == 0.25
    tri = _load("model_name=TriDet")
    assert tri["model"]["num_bins"] == 16 and tri["model"]["boundary_kernel_size"] == 3
    assert tri["train_cfg"]["iou_weight_power"] == 0.2
    _load("model_name=TBTFormer", "model.reg_max=4")  # the smallest that covers [[0, 4], [4, 8], ...]


def test_too_few_bins_name_the_levels_and_the_minimum():
    problems = _problems("model_name=TBTFormer", "model.reg_max=3")
    assert len(problems) == 1
    assert problems[0].startswith("model.reg_max: 3 bins of the level's stride do not cover model.regression_range")
    assert "level 0 (stride 1, range [0, 4])" in problems[0] and "level 5" not in problems[0]
    assert "at least 4" in problems[0]
    problems = _problems("model_name=TriDet", "model.num_bins=2")
    assert problems[0].startswith("model.num_bins: 2 bins") and "level 5 (stride 32" in problems[0]


def test_only_the_top_level_may_reach_past_the_bins():
    wide = "model.regression_range=[[0, 4], [4, 8], [8, 16], [16, 32], [32, 128], [128, 10000]]"
    problems = _problems("model_name=TBTFormer", wide, "model.reg_max=4")
    assert "level 4 (stride 16, range [32, 128])" in problems[0] and "at least 8" in problems[0]
    _load("model_name=TBTFormer", wide, "model.reg_max=8")


def test_rule_does_not_apply_to_other_models_and_keys_belong_to_their_owner():
    wide = "model.regression_range=[[0, 400], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]]"
    _load(wide)
    _load(wide, "model.reg_max=16")  # another model's key at its default: harmless, not checked
    problems = _problems("model.reg_max=8")
    assert problems[0].startswith("model.reg_max: an option of the meta architecture 'TBTFormer'")
    assert _problems("model_name=TBTFormer", "model.num_bins=8")[0].startswith("model.num_bins: an option")
    assert "did you mean 'dfl_weight'" in _problems("model_name=TBTFormer", "model.dfl_weigth=1")[0]
    assert "must be odd" in _problems("model_name=TriDet", "model.boundary_kernel_size=4")[0]


def test_cs_fpn_is_a_neck_choice():
    assert _load("model.fpn_type=cs_fpn")["model"]["fpn_type"] == "cs_fpn"
    assert "cs_fpn" in _problems("model.fpn_type=cs_fpnn")[0]
