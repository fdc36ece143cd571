"""The NMS methods' config keys (issue 13): the seed fork's names load, every option is typed and
checked, and a key of the unselected method is refused."""

from __future__ import annotations

import pytest
import torch

from actionformer.config import ConfigurationError, config_from_dict
from actionformer.postprocess import NMS_METHODS, detect

SEED_STYLE = {  # the seed fork's README example, plus its reg_loss_type
    "dataset": {"num_classes": 5},
    "train_cfg": {"reg_loss_type": "eiou"},
    "test_cfg": {"use_diou_nms": True, "score_temperature": 1.3, "class_sigma": {0: 0.7, 1: 0.4}},
}


def _problems(cfg):
    with pytest.raises(ConfigurationError) as err:
        config_from_dict(cfg)
    return err.value.problems


def test_the_seed_forks_keys_load():
    cfg = config_from_dict(SEED_STYLE)
    assert cfg["test_cfg"]["use_diou_nms"] is True and cfg["test_cfg"]["score_temperature"] == 1.3
    assert cfg["test_cfg"]["class_sigma"] == {0: 0.7, 1: 0.4}
    assert cfg["train_cfg"]["reg_loss_type"] == "eiou"
    assert cfg["model"]["head_type"] == "v1" and cfg["train_cfg"]["cls_loss_type"] == "focal"


def test_quality_options_load_with_their_defaults_off():
    cfg = config_from_dict({"train_cfg": {"cls_loss_type": "quality_focal"}, "model": {"head_type": "v2"},
                            "test_cfg": {"nms_method": "hard", "class_iou_threshold": {"Diving": 0.3}}})
    assert cfg["train_cfg"]["qfl_beta"] == 2.0
    assert cfg["test_cfg"]["use_diou_nms"] is False and cfg["test_cfg"]["class_iou_threshold"] == {"Diving": 0.3}


def test_bad_values_are_config_errors():
    problems = _problems({"train_cfg": {"reg_loss_type": "qfl"}})
    assert problems[0].startswith("train_cfg.reg_loss_type: expected a registered regression loss")
    assert any(p.startswith("test_cfg.score_temperature") for p in _problems({"test_cfg": {"score_temperature": 0}}))
    assert any(p.startswith("model.head_type") for p in _problems({"model": {"head_type": "v3"}}))
    assert any(p.startswith("train_cfg.qfl_beta") for p in _problems(
        {"train_cfg": {"cls_loss_type": "quality_focal", "qfl_beta": -1}}))


def test_unknown_class_ids_are_config_errors():
    problems = _problems({"dataset": {"num_classes": 5}, "test_cfg": {"class_sigma": {0: 0.7, 9: 0.4}}})
    assert "test_cfg.class_sigma: class ids [9] are not < dataset.num_classes (5)" in problems


def test_a_key_of_the_other_nms_method_is_refused():
    problems = _problems({"test_cfg": {"nms_method": "hard", "class_sigma": {0: 0.7}}})
    assert any(p.startswith("test_cfg.class_sigma") and "soft" in p for p in problems)
    assert [k.path for k in NMS_METHODS.config_keys("soft")] == ["test_cfg.use_diou_nms", "test_cfg.class_sigma"]
    assert [k.path for k in NMS_METHODS.config_keys("hard")] == ["test_cfg.use_diou_nms",
                                                                 "test_cfg.class_iou_threshold"]


@pytest.mark.parametrize("method", ["soft", "hard"])
@pytest.mark.parametrize("multiclass", [True, False])
def test_detect_reaches_every_option_in_every_mode(method, multiclass):
    """use_diou_nms and the class tables change the result for each NMS mode (never ignored)."""
    torch.manual_seed(0)
    t = 32
    points = torch.stack([torch.arange(t, dtype=torch.float32), torch.zeros(t), torch.full((t,), 1e4),
                          torch.ones(t)], 1)
    logits = torch.randn(t, 3) * 2
    offsets = torch.rand(t, 2) * 6 + 0.5
    meta = {"video_id": "v", "fps": 1.0, "duration": 100.0, "feat_stride": 1, "feat_num_frames": 1}
    cfg = {"pre_nms_thresh": 0.001, "pre_nms_topk": 500, "duration_thresh": 0.0, "nms_method": method,
           "iou_threshold": 0.3, "min_score": 0.001, "max_seg_num": 100, "multiclass_nms": multiclass,
           "nms_sigma": 0.5, "voting_thresh": 0.0}
    mask = torch.ones(t, dtype=torch.bool)
    base = detect([points], [logits], [offsets], [mask], meta, cfg)
    table = "class_sigma" if method == "soft" else "class_iou_threshold"
    for extra in ({"use_diou_nms": True}, {table: {0: 0.05, 1: 0.05, 2: 0.05}}):
        out = detect([points], [logits], [offsets], [mask], meta, {**cfg, **extra})
        changed = out["segments"].shape != base["segments"].shape or not torch.equal(out["scores"], base["scores"])
        assert changed, extra


def test_an_option_of_both_nms_methods_names_both_when_neither_is_selected():
    # before: "an option of the NMS method 'hard'", as if soft-NMS could not take it
    problems = _problems({"test_cfg": {"nms_method": "none", "use_diou_nms": True}})
    assert ("test_cfg.use_diou_nms: an option of the NMS method 'hard' or 'soft', which this config "
            "does not select; select one or remove the key") in problems


def test_a_negative_class_id_is_reported_once():
    # before: also "class ids [-1] are not < dataset.num_classes (5)"
    problems = _problems({"dataset": {"num_classes": 5}, "test_cfg": {"class_sigma": {-1: 0.7}}})
    assert len(problems) == 1 and "key -1 is neither a class id nor a class name" in problems[0]
