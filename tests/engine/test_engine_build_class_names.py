"""build_model turns the class names of the per-class NMS tables into the dataset's ids."""

from __future__ import annotations

import pytest

from actionformer.config import ConfigurationError, config_from_dict
from actionformer.data import DataError
from actionformer.engine.build import build_model

MODEL = {"backbone_type": "conv", "backbone_arch": [2, 1, 2], "embd_dim": 16, "fpn_dim": 16, "head_dim": 16,
         "regression_range": [[0, 4], [4, 8], [8, 10000]], "max_buffer_len_factor": 1.0, "n_mha_win_size": -1}


def _cfg(class_sigma):
    return config_from_dict({"dataset": {"num_classes": 3, "input_dim": 8, "max_seq_len": 64,
                                         "json_file": "ann.json"},
                             "model": dict(MODEL), "test_cfg": {"class_sigma": class_sigma}})


def test_class_names_resolve_for_the_model_only():
    cfg = _cfg({"Diving": 0.3, 0: 0.9})
    model = build_model(cfg, class_names=["Shotput", "Golf", "Diving"])
    assert model.test_cfg["class_sigma"] == {2: 0.3, 0: 0.9}
    assert cfg["test_cfg"]["class_sigma"] == {"Diving": 0.3, 0: 0.9}


def test_an_unknown_class_name_is_a_data_error_naming_the_key():
    with pytest.raises(DataError, match=r"test_cfg.class_sigma: unknown class 'Diving'"):
        build_model(_cfg({"Diving": 0.3}), class_names=["Golf"])


def test_class_names_without_the_datasets_names_are_a_config_error():
    # before: the names reached batched_nms and failed there, mid-inference, with a traceback
    with pytest.raises(ConfigurationError, match=r"test_cfg.class_sigma: class names \['Diving'\]"):
        build_model(_cfg({"Diving": 0.3, 0: 0.9}), class_names=None)
    assert build_model(_cfg({0: 0.9}), class_names=None).test_cfg["class_sigma"] == {0: 0.9}


def test_constraint_class_names_resolve_for_the_model_only():
    # the config (and so a run's config.yaml) keeps the names the user wrote, like the NMS tables
    rules = {"classes": {"Diving": {"min_duration": 1.0}}}
    cfg = config_from_dict({"dataset": {"num_classes": 3, "input_dim": 8, "max_seq_len": 64},
                            "model": dict(MODEL), "test_cfg": {"constraints": rules}})
    model = build_model(cfg, class_names=["Shotput", "Golf", "Diving"])
    assert model.test_cfg["constraints"] == {"classes": {2: {"min_duration": 1.0}}}
    assert cfg["test_cfg"]["constraints"] == rules
    with pytest.raises(ConfigurationError, match="Nope"):
        build_model(config_from_dict({"dataset": {"num_classes": 3, "input_dim": 8, "max_seq_len": 64},
                                      "model": dict(MODEL),
                                      "test_cfg": {"constraints": {"classes": {"Nope": {"min_duration": 1}}}}}),
                    class_names=["Shotput", "Golf", "Diving"])
