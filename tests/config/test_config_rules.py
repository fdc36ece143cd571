"""Validation rules across keys (config/rules.py): one value per pyramid level, divisibility of
the input length, widths and heads that must agree, kernel sizes, class ids."""

from __future__ import annotations

import pytest

from actionformer.config import validate_config

from config_testutils import only_problem, resolved

V2 = "model.backbone_type=convTransformerv2"


def test_regression_ranges_one_per_level():
    assert only_problem("model.regression_range=[[0, 4], [4, 8]]") == (
        "model.regression_range: needs one [lo, hi] per pyramid level used by the heads "
        "(6 = model.backbone_arch[-1] + 1 - model.fpn_start_level), got 2")


def test_regression_ranges_follow_fpn_start_level():
    validate_config(resolved("model.fpn_start_level=1", "model.fpn_type=fpn",
                             "model.regression_range=[[0,4],[4,8],[8,16],[16,32],[32,10000]]"))


def test_regression_range_needs_lo_below_hi():
    message = only_problem("model.regression_range=[[0,4],[8,4],[8,16],[16,32],[32,64],[64,99]]")
    assert message.startswith("model.regression_range: range 1 [8, 4] must have lo < hi")


def test_window_list_one_per_level():
    assert only_problem("model.n_mha_win_size=[9, 9, 9]") == (
        "model.n_mha_win_size: a per-level list needs 6 windows (model.backbone_arch[-1] + 1), "
        "got 3: [9, 9, 9]")


def test_window_list_follows_backbone_arch():
    validate_config(resolved(
        "model.backbone_arch=[2, 2, 3]", "model.n_mha_win_size=[9, 9, 9, -1]",
        "model.regression_range=[[0, 4], [4, 8], [8, 16], [16, 10000]]"))


@pytest.mark.parametrize("value", ["0", "-3", "[9, 9, 0, 9, 9, 9]"])
def test_window_sizes_are_minus_one_or_positive(value):
    assert only_problem(f"model.n_mha_win_size={value}").startswith(
        "model.n_mha_win_size: window sizes are -1 (global attention) or >= 1")


@pytest.mark.parametrize("start,ok", [(0, True), (5, True), (6, False)])
def test_fpn_start_level_in_range(start, ok):
    ranges = [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]][start:] or [[0, 10000]]
    overrides = [f"model.fpn_start_level={start}", "model.fpn_type=fpn",
                 f"model.regression_range={ranges}"]
    if ok:
        validate_config(resolved(*overrides))
    else:
        assert only_problem(*overrides) == (
            "model.fpn_start_level: must be < the number of pyramid levels (6 = "
            "model.backbone_arch[-1] + 1), got 6")


@pytest.mark.parametrize("max_len,windows,ok", [
    (2304, "19", True),       # THUMOS: 2304 = 4 x 576 and 576 = 32 x 18
    (2300, "19", False),
    (192, "[7, 7, 7, 7, 7, -1]", True),   # ActivityNet: the last level is global
    (96, "[7, 7, 7, 7, 7, -1]", True),    # 96 x (6 at level 4) fits; level 5 just needs 32
    (48, "[7, 7, 7, 7, 7, -1]", False),
    (32, "-1", True),         # global attention: just the strides
    (48, "-1", False),
    (64, "1", True),          # a window of 1 is global attention too
    (2304, "[19, 19, 19, 19, 19, 9]", True),
    (1152, "[19, 19, 19, 19, 19, 9]", False),  # level 5 needs 32 x 8 = 256
])
def test_max_seq_len_divisible_at_every_level(max_len, windows, ok):
    overrides = [f"dataset.max_seq_len={max_len}", f"model.n_mha_win_size={windows}"]
    if ok:
        validate_config(resolved(*overrides))
    else:
        message = only_problem(*overrides)
        assert message.startswith("dataset.max_seq_len: must be a multiple of stride x (window "
                                  "// 2 * 2) at every pyramid level")
        assert f"{max_len} is not, at level" in message


def test_max_seq_len_message_names_the_levels_and_a_fix():
    message = only_problem("dataset.max_seq_len=2300", "model.n_mha_win_size=19")
    assert "at levels 0, 1, 2, 3, 4, 5 (multiples of 18, 36, 72, 144, 288, 576)" in message
    assert message.endswith("use a multiple of 576, e.g. 1728 or 2304")


def test_max_seq_len_uses_scale_factor():
    # scale 4, global attention: strides 1, 4, 16, 64 -> multiple of 64
    base = ["model.scale_factor=4", "model.backbone_arch=[2, 2, 3]",
            "model.regression_range=[[0, 4], [4, 8], [8, 16], [16, 10000]]"]
    validate_config(resolved(*base, "dataset.max_seq_len=128"))
    assert "multiples of 64" in only_problem(*base, "dataset.max_seq_len=96")


def test_convtransformer_needs_an_even_scale_factor():
    base = ["model.backbone_arch=[2, 2, 2]", "model.regression_range=[[0,4],[4,8],[8,10000]]",
            "dataset.max_seq_len=2304"]
    assert only_problem(*base, "model.scale_factor=3") == (
        "model.scale_factor: the convTransformer backbone downsamples with strided attention, "
        "which needs 1 or an even factor, got 3")
    validate_config(resolved(*base, "model.scale_factor=3", "model.backbone_type=conv"))


def test_heads_must_divide_the_embedding_width():
    assert only_problem("model.n_head=5") == (
        "model.n_head: 5 does not divide the embedding width 512 (model.embd_dim)")
    validate_config(resolved("model.n_head=5", "model.backbone_type=conv"))


def test_kv_heads_must_divide_heads():
    assert only_problem(V2, "model.backbone.n_kv_head=3") == (
        "model.backbone.n_kv_head: 3 does not divide model.n_head (4)")
    validate_config(resolved(V2, "model.backbone.n_kv_head=2"))


def test_identity_neck_keeps_the_width():
    assert only_problem("model.fpn_dim=256") == (
        "model.fpn_dim: the identity neck keeps the backbone's width, so fpn_dim must equal the "
        "embedding width 512 (model.embd_dim), got 256")
    validate_config(resolved("model.fpn_dim=256", "model.fpn_type=fpn"))


def test_list_widths_must_match():
    ok = ["dataset.input_dim=[2304, 1536, 256]", "model.embd_dim=[256, 384, 384]",
          "model.fpn_dim=1024", "model.n_head=16"]
    validate_config(resolved(*ok))
    assert only_problem(*ok[:1], "model.embd_dim=[512, 512]", "model.fpn_dim=1024").startswith(
        "model.embd_dim: dataset.input_dim is a list of 3 feature widths, so embd_dim must be a "
        "list of 3 widths too, got [512, 512]")
    assert only_problem("model.embd_dim=[256, 256]").startswith(
        "model.embd_dim: a list needs dataset.input_dim to be a list of the same length")


@pytest.mark.parametrize("override", ["model.embd_kernel_size=4", "model.head_kernel_size=2"])
def test_kernel_sizes_are_odd(override):
    assert "must be odd" in only_problem(override)


def test_empty_class_ids_must_exist():
    assert only_problem("train_cfg.head_empty_cls=[3, 97]") == (
        "train_cfg.head_empty_cls: class ids [97] are not < dataset.num_classes (97)")


def test_one_layer_heads_need_the_neck_width():
    # before: accepted, then a ValueError traceback from the heads' first forward
    assert only_problem("model.head_num_layers=1", "model.head_dim=32").startswith(
        "model.head_dim: with model.head_num_layers 1 the heads' only convolution reads the neck's output, "
        "so head_dim must equal model.fpn_dim (512), got 32")
    assert only_problem("model.head_num_layers=1", "model.head_dim=32", "model_name=TBTFormer",
                        "model.head_type=v2").startswith("model.head_dim: with model.head_num_layers 1")
    validate_config(resolved("model.head_num_layers=1", "model.head_dim=32", "model.head_type=v2"))
    validate_config(resolved("model.head_num_layers=1"))
