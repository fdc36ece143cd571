"""validate_config: unknown keys, types, values, and every rule spanning several keys."""

from __future__ import annotations

import hypothesis
import pytest
from hypothesis import strategies as st

from actionformer.config import (
    ConfigurationError,
    apply_overrides,
    config_from_dict,
    load_default_config,
    validate_config,
)

from config_testutils import only_problem, problems_of, resolved


def test_the_default_config_is_valid():
    cfg = resolved()
    assert validate_config(cfg) is cfg


def test_unknown_key_has_a_did_you_mean():
    assert only_problem("dataset.num_clases=5") == (
        "dataset.num_clases: unknown key; did you mean 'num_classes'?")


def test_unknown_top_level_key_has_a_did_you_mean():
    assert only_problem("train_spit=[a]") == "train_spit: unknown key; did you mean 'train_split'?"


def test_key_in_the_wrong_section_points_to_the_right_one():
    assert only_problem("dataset.batch_size=4") == (
        "dataset.batch_size: unknown key here; did you mean 'loader.batch_size'?")


def test_unknown_key_without_close_match_lists_the_settable_keys():
    message = only_problem("loader.zzz=1")
    assert message == "loader.zzz: unknown key; the keys of 'loader' are: batch_size, " \
                      "num_workers, pin_memory"


V2 = "model.backbone_type=convTransformerv2"


def test_unknown_nested_section():
    assert only_problem(V2, "model.backbone.use_ropee=true") == (
        "model.backbone.use_ropee: unknown key; did you mean 'use_rope'?")


def test_option_of_an_unselected_component_is_refused_unless_default():
    # a v2 option on the v1 backbone would change nothing: refused, naming its owner
    assert only_problem("model.backbone.use_rope=true") == (
        "model.backbone.use_rope: an option of the backbone 'convTransformerv2', which this config "
        "does not select; select it or remove the key")
    # a saved config of a v1 run holds the v2 defaults: harmless, accepted
    validate_config(resolved("model.backbone.use_rope=false", "model.backbone.use_flash_attn=true"))


@pytest.mark.parametrize("override,expected", [
    ("opt.epochs=five", "opt.epochs: expected int >= 1, got 'five' (str)"),
    ("opt.epochs=2.5", "opt.epochs: expected int >= 1, got 2.5"),
    ("loader.batch_size=true", "loader.batch_size: expected int >= 1, got true"),
    ("model.use_abs_pe=1", "model.use_abs_pe: expected bool, got 1"),
    ("dataset.json_file=[a, b]", "dataset.json_file: expected str, got ['a', 'b']"),
    ("train_split=training", "train_split: expected non-empty list[str], got 'training' (str)"),
    ("dataset.feat_folder=3", "dataset.feat_folder: expected str | non-empty list[str], got 3"),
    ("model=3", "model: expected a mapping (section), got 3"),
])
def test_wrong_type_names_key_path_and_value(override, expected):
    assert only_problem(override) == expected


def test_item_of_a_list_is_named():
    message = only_problem("model.backbone_arch=[2, 2, x]")
    assert message.startswith("model.backbone_arch: expected list of 3 [int >= 0]; item 2 is 'x'")


def test_exponent_without_dot_in_a_file_gets_a_hint():
    cfg = resolved()
    cfg["opt"]["learning_rate"] = "1e-4"  # what YAML 1.1 gives for `learning_rate: 1e-4`
    with pytest.raises(ConfigurationError, match=r"write 1\.0e-4, not 1e-4"):
        validate_config(cfg)


def test_nan_from_yaml_is_rejected_with_the_key_named():
    # `.nan` is YAML for NaN; it passes every bound check unless rejected explicitly
    assert only_problem("opt.learning_rate=.nan") == "opt.learning_rate: expected float > 0, got nan"


def test_ints_are_accepted_where_floats_are_expected():
    validate_config(resolved("train_cfg.loss_weight=2", "model.max_buffer_len_factor=4",
                             "test_cfg.voting_thresh=1"))


def test_tuples_are_accepted_where_lists_are_expected():
    cfg = resolved()
    cfg["model"]["backbone_arch"] = (2, 2, 5)
    cfg["model"]["regression_range"] = [tuple(r) for r in cfg["model"]["regression_range"]]
    cfg["train_split"] = ("training",)
    assert validate_config(cfg) is cfg


@pytest.mark.parametrize("override", [
    "test_cfg.nms_method=fast", "train_cfg.center_sample=box", "opt.type=Adam",
    "opt.schedule_type=linear", "trainer.amp=fp8", "dataset.on_bad_video=ignore",
    "trainer.device=gpu",
])
def test_choices(override):
    key, value = override.split("=")
    message = only_problem(override)
    assert message.startswith(f"{key}: expected ") and message.endswith(f"got '{value}' (str)")


@pytest.mark.parametrize("override", [
    "test_cfg.nms_method=hard", "test_cfg.nms_method=none", "train_cfg.center_sample=none",
    "opt.type=SGD", "opt.schedule_type=multistep", "trainer.amp=bf16", "trainer.device=cuda:1",
    "trainer.device=cpu", "dataset.on_bad_video=skip",
])
def test_allowed_choices_pass(override):
    validate_config(resolved(override))


@pytest.mark.parametrize("override", [
    "dataset.crop_ratio=[0.0, 1.0]", "dataset.crop_ratio=[0.9, 1.1]",
    "dataset.crop_ratio=[1.0, 0.9]", "dataset.crop_ratio=[0.9]",
])
def test_crop_ratio_must_be_an_ordered_pair_in_unit_interval(override):
    assert only_problem(override).startswith("dataset.crop_ratio: ")


@pytest.mark.parametrize("value", ["null", "[0.9, 1.0]", "[1, 1]", "[0.5, 0.5]"])
def test_crop_ratio_accepts_null_and_pairs(value):
    validate_config(resolved(f"dataset.crop_ratio={value}"))


@pytest.mark.parametrize("value,ok", [(-0.1, False), (0, True), (1, True), (1.5, False)])
def test_trunc_thresh_in_unit_interval(value, ok):
    cfg = resolved(f"dataset.trunc_thresh={value}")
    if ok:
        validate_config(cfg)
    else:
        assert only_problem(f"dataset.trunc_thresh={value}") == (
            f"dataset.trunc_thresh: expected float in [0, 1], got {value}")


@pytest.mark.parametrize("value,ok", [(1.0, True), (0.5, True), (-1, True), (0, False),
                                      (-2, False), (-0.5, False)])
def test_loss_weight_positive_or_minus_one(value, ok):
    if ok:
        validate_config(resolved(f"train_cfg.loss_weight={value}"))
    else:
        assert only_problem(f"train_cfg.loss_weight={value}") == (
            f"train_cfg.loss_weight: must be > 0, or -1 (automatic balancing), got {value}")


@pytest.mark.parametrize("override", [
    "init_rand_seed=-1", "loader.num_workers=-1", "opt.learning_rate=0", "opt.weight_decay=-0.1",
    "train_cfg.cls_prior_prob=1", "train_cfg.dropout=1.0", "test_cfg.pre_nms_topk=0",
    "test_cfg.nms_sigma=0", "dataset.default_fps=0", "dataset.feat_stride=0",
    "opt.early_stop_epochs=0", "trainer.accum_steps=0", "trainer.ema_decay=1.5",
    "custom_imports=[1]", "custom_imports=[my-module]", "custom_imports=[./plugins]",
    "devices=[]", "devices=[-1]",
])
def test_impossible_values(override):
    key = override.split("=")[0]
    assert only_problem(override).startswith(f"{key}: ")


def test_several_problems_reported_at_once():
    problems = problems_of("dataset.num_clases=5", "opt.epochs=0", "test_cfg.nms_method=fast",
                           "model.n_mha_win_size=[9, 9]", "dataset.crop_ratio=[0.9, 1.2]")
    assert len(problems) == 5
    for key in ["dataset.num_clases", "opt.epochs", "test_cfg.nms_method",
                "model.n_mha_win_size", "dataset.crop_ratio"]:
        assert sum(p.startswith(f"{key}: ") for p in problems) == 1, (key, problems)
    with pytest.raises(ConfigurationError) as err:
        validate_config(resolved("opt.epochs=0", "loader.batch_size=0"))
    lines = str(err.value).splitlines()
    assert lines[0] == "invalid config (2 problems):"
    assert sorted(lines[1:]) == ["  loader.batch_size: expected int >= 1, got 0",
                                 "  opt.epochs: expected int >= 1, got 0"]


def test_a_bad_value_is_reported_once_not_again_by_rules():
    # a wrong n_mha_win_size would also break the divisibility rule; one message suffices
    problems = problems_of("model.n_mha_win_size=big")
    assert len(problems) == 1 and problems[0].startswith("model.n_mha_win_size: expected")


def test_missing_keys_are_reported():
    cfg = resolved()
    del cfg["opt"]["epochs"]
    del cfg["trainer"]
    del cfg["model"]["num_classes"]
    with pytest.raises(ConfigurationError) as err:
        validate_config(cfg)
    problems = err.value.problems
    assert "opt.epochs: missing (it has a default: resolve configs with load_config)" in problems
    assert "trainer: missing (it has a default: resolve configs with load_config)" in problems
    assert ("model.num_classes: missing (it is filled in from dataset.num_classes: resolve "
            "configs with load_config)") in problems


def test_keys_without_defaults_may_be_absent():
    cfg = resolved()
    assert "json_file" not in cfg["dataset"] and "output_folder" not in cfg
    validate_config(cfg)


def test_derived_fields_must_agree_with_their_sources():
    cfg = apply_overrides(resolved(), ["dataset.num_classes=5"])  # not re-derived
    with pytest.raises(ConfigurationError) as err:
        validate_config(cfg)
    assert err.value.problems == [
        "model.num_classes: must equal dataset.num_classes (5), got 97; set "
        "dataset.num_classes instead"]


def test_validate_config_does_not_modify_the_config():
    cfg = resolved()
    snapshot = repr(cfg)
    validate_config(cfg)
    assert repr(cfg) == snapshot


def test_non_mapping_config():
    with pytest.raises(ConfigurationError, match="expected the config to be a mapping"):
        validate_config([1, 2])


def test_names_of_components_are_checked_against_their_registries():
    problems = problems_of("dataset_name=thumoss", "model.backbone_type=myBackbone",
                           "model_name=LocPointTransfomer")
    assert sorted(problems) == [
        'dataset_name: expected a registered dataset ("anet" | "custom" | "ego4d" | "epic" | "soccernet" | '
        '"thumos") (did you mean \'thumos\'?), got \'thumoss\' (str)',
        'model.backbone_type: expected a registered backbone ("conv" | "convTransformer" | '
        '"convTransformerv2"), got \'myBackbone\' (str)',
        'model_name: expected a registered meta architecture ("LocPointTransformer" | "SnapFormer" | '
        '"TBTFormer" | "TriDet") (did you mean \'LocPointTransformer\'?), got \'LocPointTransfomer\' (str)',
    ]


def test_default_config_fails_only_on_missing_derived_fields():
    with pytest.raises(ConfigurationError) as err:
        validate_config(load_default_config())
    assert all(p.startswith("model.") and "filled in from" in p for p in err.value.problems)


def _suggestion(message: str) -> int:
    return int(message.rsplit(" ", 1)[-1])


def test_max_seq_len_suggestions_always_validate():

    @hypothesis.settings(max_examples=30, deadline=None)
    @hypothesis.given(scale=st.sampled_from([1, 2, 4]), branch=st.integers(0, 5),
                      window=st.sampled_from([-1, 1, 3, 4, 5, 9, 19]),
                      max_len=st.integers(1, 4000))
    def check(scale, branch, window, max_len):
        levels = branch + 1
        ranges = [[0, 4 * 2 ** i] for i in range(levels)]
        base = [f"model.scale_factor={scale}", f"model.backbone_arch=[2, 2, {branch}]",
                f"model.regression_range={ranges}", f"model.n_mha_win_size={window}"]
        cfg = resolved(*base, f"dataset.max_seq_len={max_len}")
        need = [(scale ** lvl) * ((window // 2) * 2 if window > 1 else 1) for lvl in range(levels)]
        expect_ok = all(max_len % d == 0 for d in need)
        try:
            validate_config(cfg)
            assert expect_ok
        except ConfigurationError as err:
            assert not expect_ok
            (message,) = err.problems
            fixed = _suggestion(message)
            assert all(fixed % d == 0 for d in need)
            validate_config(resolved(*base, f"dataset.max_seq_len={fixed}"))

    check()


def test_module_names_and_device_ids(tmp_path, monkeypatch):
    (tmp_path / "my_project").mkdir()
    (tmp_path / "my_project" / "__init__.py").write_text("")
    (tmp_path / "my_project" / "datasets_v.py").write_text("IMPORTED = True\n")
    (tmp_path / "plugin_v2.py").write_text("IMPORTED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    validate_config(resolved("custom_imports=[my_project.datasets_v, plugin_v2]", "devices=[0, 'cuda:1']"))


def test_custom_import_that_fails_is_a_config_error():
    with pytest.raises(ConfigurationError, match="custom_imports: could not import 'no_such_module_x'"):
        resolved("custom_imports=[no_such_module_x]")


def test_custom_imports_given_as_a_string_is_refused_before_importing(tmp_path, monkeypatch):
    import sys

    (tmp_path / "plugin_not_to_run.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigurationError, match="custom_imports: expected list"):
        config_from_dict({"custom_imports": "plugin_not_to_run"})
    assert "plugin_not_to_run" not in sys.modules


@pytest.mark.parametrize("value", ["0", "-1.0", ".inf", ".nan"])
def test_score_temperature_must_be_positive_and_finite(value):
    # an infinite temperature would turn every score into 0.5 without a word
    problem = only_problem(f"test_cfg.score_temperature={value}")
    assert "test_cfg.score_temperature: expected float in (0, inf)" in problem
