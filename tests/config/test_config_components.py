"""config/components.py: the keys of the selected components, and the seed fork's spellings."""

from __future__ import annotations

import pytest

from actionformer.config import ConfigurationError, config_from_dict
from actionformer.config.components import (component_keys, declared_elsewhere, normalize_spellings,
                                            selected_components, task_of)

V2 = {"model": {"backbone_type": "convTransformerv2"}}


def test_meta_arch_spelling_means_model_name():
    cfg = config_from_dict({"model": {"meta_arch": "LocPointTransformer"}})
    assert cfg["model_name"] == "LocPointTransformer" and "meta_arch" not in cfg["model"]


def test_meta_arch_and_model_name_must_agree():
    with pytest.raises(ConfigurationError) as err:
        config_from_dict({"model_name": "LocPointTransformer", "model": {"meta_arch": "TBTFormer"}})
    assert any(p.startswith("model.meta_arch: says 'TBTFormer' (str) but model_name says")
               for p in err.value.problems)


def test_unknown_meta_arch_spelling_is_checked_like_model_name():
    with pytest.raises(ConfigurationError, match="model_name: expected a registered meta architecture"):
        config_from_dict({"model": {"meta_arch": "LocPointTransfomer"}})


def test_flat_backbone_options_are_nested():
    cfg = config_from_dict({"model": {"backbone_type": "convTransformerv2", "use_rope": True,
                                      "n_kv_head": 2}})
    assert cfg["model"]["backbone"]["use_rope"] is True and cfg["model"]["backbone"]["n_kv_head"] == 2
    assert "use_rope" not in cfg["model"] and "n_kv_head" not in cfg["model"]


def test_flat_and_nested_backbone_option_must_agree():
    problems = normalize_spellings({"model": {"backbone_type": "convTransformerv2", "use_rope": True,
                                              "backbone": {"use_rope": False}}})
    assert problems == ["model.use_rope: set to true here and to false as model.backbone.use_rope; keep one"]


def test_flat_option_of_an_unselected_backbone_names_its_owner():
    with pytest.raises(ConfigurationError) as err:
        config_from_dict({"model": {"use_rope": True}})
    assert err.value.problems == [
        "model.use_rope: an option of the backbone 'convTransformerv2' (model.backbone.use_rope), which "
        "this config does not select; select it or remove the key"]


def test_unknown_filter_lists_the_registered_ones():
    with pytest.raises(ConfigurationError) as err:
        config_from_dict({"test_cfg": {"filters": ["merge"]}})
    assert '("constraints")' in err.value.problems[0]


def test_empty_registry_is_described(monkeypatch):
    import sys
    import types

    from actionformer.config.valuetypes import Registered
    from actionformer.registry import Registry

    module = types.ModuleType("empty_registry_for_test")
    module.EMPTY = Registry("detection filter")
    monkeypatch.setitem(sys.modules, "empty_registry_for_test", module)
    described = Registered("empty_registry_for_test:EMPTY").describe()
    assert "none yet: a module in custom_imports may register one" in described


def test_selected_components_follow_the_config():
    names = {(path, name) for path, _, name in selected_components(config_from_dict(V2))}
    assert {("model_name", "LocPointTransformer"), ("model_name", "detection"),
            ("model.backbone_type", "convTransformerv2"), ("model.fpn_type", "identity"),
            ("train_cfg.cls_loss_type", "focal"), ("train_cfg.reg_loss_type", "diou"),
            ("test_cfg.nms_method", "soft"), ("dataset_name", "epic")} <= names


def test_component_keys_only_for_the_selected_backbone():
    v1 = {k.path for k in component_keys(config_from_dict({}))}
    v2 = {k.path for k in component_keys(config_from_dict(V2))}
    assert "model.backbone.use_rope" in v2 and "model.backbone.use_rope" not in v1
    assert {"train_cfg.cls_loss_type", "train_cfg.reg_loss_type"} <= v1 & v2


def test_owner_of_a_key_is_found():
    owners = declared_elsewhere("model.backbone.use_rope")
    assert [(kind, name) for kind, name, _ in owners] == [("backbone", "convTransformerv2")]
    assert declared_elsewhere("model.no_such_key") == []


def test_task_of_the_built_in_model():
    assert task_of("LocPointTransformer") == "detection"


def test_loss_choice_is_validated():
    with pytest.raises(ConfigurationError) as err:
        config_from_dict({"train_cfg": {"reg_loss_type": "dioux"}})
    assert err.value.problems == [
        "train_cfg.reg_loss_type: expected a registered regression loss (\"diou\" | \"eiou\" | \"giou\" | \"iou\") "
        "(did you mean 'diou'?), got 'dioux' (str)"]
