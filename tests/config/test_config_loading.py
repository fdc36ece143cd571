"""load_config / load_default_config: merging, derived fields, file errors, overrides."""

from __future__ import annotations

import copy

import pytest
import yaml
from config_testutils import assert_contains

from actionformer.config import (
    ConfigurationError,
    config_from_dict,
    load_config,
    load_default_config,
    merge_defaults,
)

# our keys beyond the original's DEFAULTS, with the defaults other parts of the project rely on
OUR_DEFAULTS = {
    "custom_imports": [],
    "dataset": {"on_bad_video": "error", "video_list": None, "class_list": None},
    "loader": {"pin_memory": True},
    "opt": {"early_stop_epochs": None},
    # the default meta-architecture's own keys (LocPointTransformer declares them)
    "train_cfg": {"cls_loss_type": "focal", "reg_loss_type": "diou"},
    # ... and the default backbone's (convTransformer: the MLP width of the scaled backbone)
    "model": {"cpu_kernels": True, "head_type": "v1", "backbone": {"mlp_ratio": 4}},
    # score_temperature (table), and the default soft-NMS method's keys
    "test_cfg": {"filters": [], "constraints": None, "score_temperature": 1.0, "use_diou_nms": False,
                 "class_sigma": None},
    "trainer": {"amp": "off", "loss_logger": True, "accum_steps": 1, "eval_freq": 0, "ckpt_freq": 5,
                "print_freq": 10, "keep_last": 3, "ema_decay": 0.999, "ema_warmup": True,
                "device": "auto"},
}


def _write(tmp_path, settings, name="cfg.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def _leaf_paths(cfg: dict, prefix: str = "") -> set:
    paths = set()
    for key, value in cfg.items():
        path = f"{prefix}.{key}" if prefix else key
        paths |= _leaf_paths(value, path) if isinstance(value, dict) and value else {path}
    return paths


def test_defaults_are_the_originals_plus_ours(original_configs):
    defaults = load_default_config()
    assert_contains(original_configs["defaults"], defaults)
    assert_contains(OUR_DEFAULTS, defaults)
    # nothing else: the original's keys and ours, exactly
    assert _leaf_paths(defaults) == (_leaf_paths(original_configs["defaults"])
                                     | _leaf_paths(OUR_DEFAULTS))


def test_defaults_are_fresh_copies():
    first = load_default_config()
    first["model"]["regression_range"].append([1, 2])
    first["dataset"]["num_classes"] = 3
    first["train_cfg"]["head_empty_cls"].append(5)
    second = load_default_config()
    assert len(second["model"]["regression_range"]) == 6
    assert second["dataset"]["num_classes"] == 97
    assert second["train_cfg"]["head_empty_cls"] == []


def test_loading_does_not_mutate_defaults_or_later_loads(tmp_path, original_configs):
    path = _write(tmp_path, original_configs["user_settings"]["thumos_i3d"])
    cfg = load_config(path)
    cfg["train_cfg"]["head_empty_cls"].extend([1, 2])
    cfg["opt"]["schedule_steps"].append(3)
    again = load_config(path)
    assert again["train_cfg"]["head_empty_cls"] == []
    assert again["opt"]["schedule_steps"] == []
    assert load_default_config()["train_cfg"]["head_empty_cls"] == []


def test_custom_defaults_are_not_mutated(tmp_path):
    defaults = load_default_config()
    snapshot = copy.deepcopy(defaults)
    cfg = load_config(_write(tmp_path, {"dataset": {"num_classes": 5}}), defaults=defaults)
    cfg["loader"]["batch_size"] = 99
    assert defaults == snapshot


def test_original_settings_from_a_temp_yaml_resolve_like_the_original(original_name, tmp_path,
                                                                       original_configs):
    path = _write(tmp_path, original_configs["user_settings"][original_name], f"{original_name}.yaml")
    assert_contains(original_configs["merged"][original_name], load_config(path))


def test_file_settings_win_and_missing_defaults_fill_in(tmp_path):
    cfg = load_config(_write(tmp_path, {"loader": {"batch_size": 3}, "opt": {"epochs": 7}}))
    assert cfg["loader"] == {"batch_size": 3, "num_workers": 4, "pin_memory": True}
    assert cfg["opt"]["epochs"] == 7 and cfg["opt"]["warmup_epochs"] == 5


def test_derived_fields_are_copied_from_dataset_and_share_the_cfg_dicts(tmp_path):
    cfg = load_config(_write(tmp_path, {"dataset": {"input_dim": 48, "num_classes": 5,
                                                    "max_seq_len": 256}}))
    assert cfg["model"]["input_dim"] == 48
    assert cfg["model"]["num_classes"] == 5
    assert cfg["model"]["max_seq_len"] == 256
    # as in the original: the same dicts, so a change to one is seen through the other
    assert cfg["model"]["train_cfg"] is cfg["train_cfg"]
    assert cfg["model"]["test_cfg"] is cfg["test_cfg"]
    # the v1 backbone's one option is its MLP width (model.backbone.mlp_ratio)
    assert cfg["model"]["backbone"] == {"mlp_ratio": 4}
    v2 = load_config(_write(tmp_path, {"model": {"backbone_type": "convTransformerv2"}}))
    assert v2["model"]["backbone"]["use_flash_attn"] is True


def test_setting_a_derived_field_to_another_value_is_an_error(tmp_path):
    path = _write(tmp_path, {"model": {"num_classes": 3}})
    with pytest.raises(ConfigurationError) as err:
        load_config(path)
    assert "model.num_classes: is filled in from dataset.num_classes (97)" in str(err.value)
    assert "set dataset.num_classes instead" in str(err.value)


def test_a_resolved_config_loads_again_unchanged(tmp_path, configs_dir):
    cfg = load_config(configs_dir / "ego4d_slowfast_omnivore_egovlp.yaml")
    dumped = _write(tmp_path, cfg, "resolved.yaml")
    assert load_config(dumped) == cfg


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigurationError, match="config file not found: .*nope.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_directory_is_not_a_config(tmp_path):
    with pytest.raises(ConfigurationError, match="directory"):
        load_config(tmp_path)


def test_yaml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("dataset:\n  num_classes: [1, 2\nloader: {\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_config(path)
    assert "broken.yaml" in str(err.value) and "YAML syntax error" in str(err.value)


@pytest.mark.parametrize("text,got", [("- a\n- b\n", "['a', 'b']"), ("", "an empty file"),
                                      ("42\n", "42")])
def test_top_level_must_be_a_mapping(tmp_path, text, got):
    path = tmp_path / "list.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_config(path)
    assert "list.yaml" in str(err.value)
    assert f"expected a mapping of settings (key: value) at the top level, got {got}" in str(
        err.value)


def test_configuration_error_is_a_value_error():
    assert issubclass(ConfigurationError, ValueError)


def test_problems_in_a_file_name_the_file(tmp_path):
    path = _write(tmp_path, {"opt": {"epochs": 0}}, "bad.yaml")
    with pytest.raises(ConfigurationError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert err.value.problems == ["opt.epochs: expected int >= 1, got 0"]


def test_validate_false_skips_validation(tmp_path):
    cfg = load_config(_write(tmp_path, {"opt": {"epochs": 0, "typo": 1}}), validate=False)
    assert cfg["opt"]["epochs"] == 0 and cfg["opt"]["typo"] == 1


def test_overrides_apply_before_derived_fields_and_validate(tmp_path):
    path = _write(tmp_path, {"dataset": {"crop_ratio": [0.9, 1.0]}})
    cfg = load_config(path, overrides=[
        "opt.epochs=5", "model.n_mha_win_size=[9,9,9,9,9,-1]", "dataset.crop_ratio=null",
        "dataset.num_classes=7", "opt.learning_rate=1e-4", "trainer.amp=bf16"])
    assert cfg["opt"]["epochs"] == 5
    assert cfg["model"]["n_mha_win_size"] == [9, 9, 9, 9, 9, -1]
    assert cfg["dataset"]["crop_ratio"] is None
    assert cfg["model"]["num_classes"] == 7
    assert cfg["opt"]["learning_rate"] == pytest.approx(1e-4)
    assert cfg["trainer"]["amp"] == "bf16"


def test_overrides_of_a_saved_run_config_rederive_its_copies(tmp_path):
    """A run's config.yaml holds model.test_cfg / model.max_seq_len equal to their sources;
    --set test_cfg.X or dataset.max_seq_len on it works (was: 'model.test_cfg: is the same dict
    as test_cfg' / 'is filled in from dataset.max_seq_len'), and a copy set by hand is still a conflict."""
    saved = load_config(_write(tmp_path, {}))
    path = tmp_path / "saved.yaml"
    path.write_text(yaml.safe_dump(saved))
    cfg = load_config(str(path), overrides=["test_cfg.pre_nms_topk=400", "dataset.max_seq_len=1024",
                                            "test_cfg.constraints={max_per_video: 3}"])
    assert cfg["model"]["test_cfg"] is cfg["test_cfg"] and cfg["test_cfg"]["pre_nms_topk"] == 400
    assert cfg["test_cfg"]["constraints"] == {"max_per_video": 3} and cfg["model"]["max_seq_len"] == 1024
    with pytest.raises(ConfigurationError, match="model.max_seq_len: is filled in from dataset.max_seq_len"):
        load_config(str(path), overrides=["model.max_seq_len=1024"])


def test_overrides_are_validated_like_the_file(tmp_path):
    path = _write(tmp_path, {})
    with pytest.raises(ConfigurationError) as err:
        load_config(path, overrides=["opt.epoch=5", "test_cfg.nms_method=fast"])
    problems = err.value.problems
    assert "opt.epoch: unknown key; did you mean 'epochs'?" in problems
    assert any(p.startswith("test_cfg.nms_method: expected") and "'fast'" in p for p in problems)


def test_config_from_dict_does_not_modify_its_input():
    settings = {"dataset": {"num_classes": 4}}
    cfg = config_from_dict(settings)
    assert settings == {"dataset": {"num_classes": 4}}
    assert cfg["model"]["num_classes"] == 4


def test_merge_keeps_a_non_mapping_value_for_the_validator():
    cfg = merge_defaults({"dataset": None}, load_default_config())
    assert cfg["dataset"] is None
    with pytest.raises(ConfigurationError, match=r"dataset: expected a mapping \(section\), got null"):
        config_from_dict({"dataset": None})


def test_a_key_set_twice_in_the_file_is_an_error(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("model:\n  n_head: 4\nopt:\n  epochs: 5\nmodel:\n  n_head: 8\n"
                    "  fpn_dim: 1\n  fpn_dim: 2\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_config(path)
    assert "dup.yaml" in str(err.value)
    assert err.value.problems == [
        "model: set twice (lines 1 and 5); YAML would silently keep the last one",
        "model.fpn_dim: set twice (lines 7 and 8); YAML would silently keep the last one",
    ]


def test_yaml_anchors_and_merge_keys_are_not_duplicates(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text("train_cfg: &t\n  dropout: 0.1\nx: &r [[0, 4]]\n", encoding="utf-8")
    from actionformer.config.loading import duplicate_keys

    assert duplicate_keys(path.read_text()) == []
    assert duplicate_keys("base: &b {a: 1}\nother:\n  <<: *b\n  b: 2\n") == []


def test_setting_keys_under_a_derived_section_points_to_the_real_one(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        load_config(_write(tmp_path, {}), overrides=["model.train_cfg.dropout=0.2"])
    assert err.value.problems == [
        "model.train_cfg: is the same dict as train_cfg (the loader sets it); set the keys under "
        "train_cfg instead"]
