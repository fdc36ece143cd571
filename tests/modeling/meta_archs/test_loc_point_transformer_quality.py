"""The detection quality options of LocPointTransformer (issue 13): all off is main, bit for bit;
each option runs, trains every parameter (DDP needs no unused ones) and runs under bf16 autocast."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from actionformer.modeling import make_meta_arch
from actionformer.modeling.losses import offsets_iou

MAIN_OUTPUTS = Path(__file__).resolve().parents[2] / "fixtures" / "parity_main_outputs.pt"

# every option at its default, written out: the config a user gets with all of them off
ALL_OFF_TRAIN = {"cls_loss_type": "focal", "reg_loss_type": "diou"}
ALL_OFF_TEST = {"score_temperature": 1.0, "use_diou_nms": False, "class_sigma": None,
                "class_iou_threshold": None}
NMS_MODES = {
    "soft, per class": {},
    "soft, class-agnostic": {"multiclass_nms": False},
    "hard, per class": {"nms_method": "hard", "iou_threshold": 0.3},
    "hard, class-agnostic": {"nms_method": "hard", "iou_threshold": 0.3, "multiclass_nms": False},
}
TRAIN_OPTIONS = {
    "eiou": ({"reg_loss_type": "eiou"}, {}),
    "iou": ({"reg_loss_type": "iou"}, {}),
    "quality_focal": ({"cls_loss_type": "quality_focal", "qfl_beta": 2.0}, {}),
    "quality_focal+smoothing": ({"cls_loss_type": "quality_focal", "label_smoothing": 0.1}, {}),
    "v2 heads": ({}, {"head_type": "v2"}),
}


@pytest.fixture(scope="module")
def main_outputs():
    """main's outputs on the parity fixture (tests/fixtures/make_parity_main_outputs.py)."""
    if not MAIN_OUTPUTS.exists():
        pytest.fail(f"test fixture missing: {MAIN_OUTPUTS}", pytrace=False)
    return torch.load(MAIN_OUTPUTS, weights_only=True)


def _parity_model(parity_data, test_extra=None, train_extra=None, **model_extra):
    cfg = parity_data["config"]["model"]
    model = make_meta_arch(
        parity_data["config"]["model_name"],
        **{**cfg, **model_extra, "head_type": model_extra.get("head_type", "v1"),
           "train_cfg": {**cfg["train_cfg"], **ALL_OFF_TRAIN, **(train_extra or {})},
           "test_cfg": {**cfg["test_cfg"], **ALL_OFF_TEST, **(test_extra or {})}},
    )
    model.load_state_dict(parity_data["state_dict"], strict=True)
    return model


@pytest.mark.parametrize("mode", list(NMS_MODES))
def test_all_options_off_gives_mains_detections_bit_for_bit(parity_data, main_outputs, mode):
    model = _parity_model(parity_data, NMS_MODES[mode]).eval()
    for ours, theirs in zip(model(parity_data["videos"]), main_outputs["detections"][mode]):
        for key in ("segments", "scores", "labels"):
            assert torch.equal(ours[key], theirs[key]), (mode, key)


def test_all_options_off_gives_mains_losses_bit_for_bit(parity_data, main_outputs):
    model = _parity_model(parity_data).train()
    videos = [v for v in parity_data["videos"] if v["feats"].shape[-1] <= model.max_seq_len]
    losses = model(videos)
    for key, value in main_outputs["train_losses"].items():
        assert torch.equal(losses[key].detach(), value), key


def test_inference_options_change_the_detections(parity_data, main_outputs):
    """Each inference option is reached from test_cfg (the seed's keys were once ignored)."""
    base = main_outputs["detections"]["soft, per class"][0]
    for extra in ({"score_temperature": 2.0}, {"use_diou_nms": True}, {"class_sigma": {0: 0.05, 3: 2.0}}):
        ours = _parity_model(parity_data, extra).eval()(parity_data["videos"][:1])[0]
        assert not torch.equal(ours["scores"], base["scores"]), extra
    hard = main_outputs["detections"]["hard, per class"][0]
    for extra in ({"use_diou_nms": True}, {"class_iou_threshold": {0: 0.9, 1: 0.05}}):
        ours = _parity_model(parity_data, {**NMS_MODES["hard, per class"], **extra}).eval()(
            parity_data["videos"][:1])[0]
        assert not torch.equal(ours["segments"], hard["segments"]), extra


def test_positive_iou_is_the_detached_iou_of_the_positive_points(tiny_config, make_video):
    model = make_meta_arch("LocPointTransformer", **tiny_config()).train()
    videos = [make_video(64, seed=s) for s in range(2)]
    feats, masks = model._batch(videos, 64)
    out = model.forward_dense(feats, masks)
    gt_cls, gt_offsets = model.assign_targets(out, [v["segments"] for v in videos], [v["labels"] for v in videos])
    pos = (gt_cls.sum(-1) > 0) & torch.cat(out.masks, dim=1)
    iou = model.positive_iou(out, gt_offsets, pos)
    assert iou.shape == (int(pos.sum()),) and not iou.requires_grad
    expected = offsets_iou(torch.cat(out.offsets, dim=1)[pos], gt_offsets[pos])
    torch.testing.assert_close(iou, expected.detach())
    assert bool(((iou >= 0) & (iou <= 1)).all())


ALL_TRAIN_OPTIONS = ({"reg_loss_type": "eiou", "cls_loss_type": "quality_focal"}, {"head_type": "v2"})
SWEEP = [(name, "convTransformer") for name in TRAIN_OPTIONS] + [
    ("all", "conv"), ("all", "convTransformerv2")]


@pytest.mark.parametrize("name,backbone", SWEEP)
def test_training_options_train_every_parameter(tiny_config, make_video, name, backbone):
    train_extra, model_extra = TRAIN_OPTIONS.get(name, ALL_TRAIN_OPTIONS)
    cfg = tiny_config(**model_extra, backbone_type=backbone)
    cfg["train_cfg"] = {**cfg["train_cfg"], "droppath": 0.0, **train_extra}
    model = make_meta_arch("LocPointTransformer", **cfg).train()
    losses = model([make_video(64, seed=s) for s in range(2)])
    assert torch.isfinite(losses["final_loss"]) and losses["cls_loss"] > 0
    losses["final_loss"].backward()
    unused = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert unused == []  # DistributedDataParallel would need find_unused_parameters otherwise


@pytest.mark.parametrize("name", list(TRAIN_OPTIONS))
def test_training_options_run_under_bf16_autocast(tiny_config, make_video, name):
    train_extra, model_extra = TRAIN_OPTIONS[name]
    cfg = tiny_config(**model_extra)
    cfg["train_cfg"] = {**cfg["train_cfg"], **train_extra}
    cfg["test_cfg"] = {**cfg["test_cfg"], "use_diou_nms": True, "score_temperature": 1.3,
                       "class_sigma": {1: 0.3}}
    model = make_meta_arch("LocPointTransformer", **cfg)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model.train()([make_video(64, seed=s) for s in range(2)])
        assert losses["final_loss"].dtype == torch.float32 and torch.isfinite(losses["final_loss"])
        losses["final_loss"].backward()
        results = model.eval()([make_video(64, seed=5)])
    assert results[0]["segments"].dtype == torch.float32 and results[0]["segments"].shape[1] == 2


def test_quality_focal_targets_are_iou_at_positives(tiny_config, make_video, monkeypatch):
    cfg = tiny_config()
    cfg["train_cfg"] = {**cfg["train_cfg"], "cls_loss_type": "quality_focal"}
    model = make_meta_arch("LocPointTransformer", **cfg).train()
    seen = {}
    original = model.cls_loss.__call__

    def spy(logits, targets):
        seen["targets"] = targets
        return original(logits, targets)

    monkeypatch.setattr(model, "cls_loss", spy)
    model.cls_loss.wants_quality_targets = True  # the spy stands in for the registered loss
    model([make_video(64, seed=s) for s in range(2)])
    targets = seen["targets"]
    positives = targets[targets.sum(-1) > 0]
    assert positives.numel() > 0
    # one class per positive point, at its IoU: strictly between 0 and 1 for an untrained head
    assert bool(((positives > 0).sum(-1) == 1).all())
    assert bool((positives.max(-1).values < 1).all()) and bool((positives.max(-1).values > 0).all())


def test_v2_heads_have_their_own_parameters_and_v1_keeps_the_originals(tiny_config):
    v1 = make_meta_arch("LocPointTransformer", **tiny_config())
    v2 = make_meta_arch("LocPointTransformer", **tiny_config(head_type="v2"))
    v1_keys, v2_keys = set(v1.state_dict()), set(v2.state_dict())
    assert v2_keys - v1_keys == {"cls_head.proj.conv.weight", "cls_head.proj.conv.bias",
                                 "reg_head.proj.conv.weight", "reg_head.proj.conv.bias"}
    assert v1_keys <= v2_keys
    with pytest.raises(ValueError, match="head_type"):
        make_meta_arch("LocPointTransformer", **tiny_config(head_type="v3"))
