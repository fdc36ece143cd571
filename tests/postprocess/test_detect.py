"""detect() end to end, and parity with the original release's detections stored in tests/fixtures/parity_thumos.pt."""

from __future__ import annotations

import pytest
import torch

from actionformer.postprocess import detect


def _max_div_factor(model_cfg: dict) -> int:
    """Inference pads long videos to a multiple of the largest (stride x window) of the pyramid."""
    num_levels = model_cfg["backbone_arch"][-1] + 1
    strides = [model_cfg["scale_factor"] ** l
               for l in range(model_cfg["fpn_start_level"], num_levels)]
    windows = model_cfg["n_mha_win_size"]
    windows = [windows] * num_levels if isinstance(windows, int) else windows
    return max(s * (w // 2) * 2 if w > 1 else s for s, w in zip(strides, windows))


def _inference_length(model_cfg: dict, num_feats: int) -> int:
    max_seq_len = model_cfg["max_seq_len"]
    if num_feats <= max_seq_len:
        return max_seq_len
    div = _max_div_factor(model_cfg)
    return (num_feats + div - 1) // div * div


def _points_and_masks(model_cfg: dict, num_feats: int):
    """The original's PointGenerator rows and the downsampled validity masks, per level."""
    padded = _inference_length(model_cfg, num_feats)
    num_levels = model_cfg["backbone_arch"][-1] + 1
    points, masks = [], []
    for level, reg_range in enumerate(model_cfg["regression_range"]):
        stride = model_cfg["scale_factor"] ** (level + model_cfg["fpn_start_level"])
        t = torch.arange(0, padded, stride, dtype=torch.float32)  # (T_l,)
        rows = torch.stack([
            t,
            torch.full_like(t, float(reg_range[0])),
            torch.full_like(t, float(reg_range[1])),
            torch.full_like(t, float(stride)),
        ], dim=1)  # (T_l, 4)
        points.append(rows)
        masks.append(t < num_feats)  # nearest downsampling keeps input position i * stride
    assert len(points) == num_levels
    return points, masks


def _detect_fixture_video(parity_data, index: int, **cfg_overrides):
    model_cfg = parity_data["config"]["model"]
    video, expected = parity_data["videos"][index], parity_data["eval"][index]
    points, masks = _points_and_masks(model_cfg, video["feats"].shape[-1])
    cls_logits = [x[0].permute(1, 0) for x in expected["cls_logits"]]  # (1, C, T) -> (T, C)
    offsets = [x[0].permute(1, 0) for x in expected["offsets"]]  # (1, 2, T) -> (T, 2)
    test_cfg = dict(model_cfg["test_cfg"], **cfg_overrides)
    meta = {k: video[k] for k in ("video_id", "fps", "duration", "feat_stride", "feat_num_frames")}
    return detect(points, cls_logits, offsets, masks, meta, test_cfg), expected


@pytest.mark.parametrize("index", [0, 1, 2])
def test_detect_matches_original_release(parity_data, index):
    result, expected = _detect_fixture_video(parity_data, index)
    assert result["video_id"] == expected["video_id"]
    assert result["segments"].shape == expected["segments"].shape
    assert torch.equal(result["labels"], expected["labels"])
    torch.testing.assert_close(result["scores"], expected["scores"], atol=1e-4, rtol=0)
    torch.testing.assert_close(result["segments"], expected["segments"], atol=1e-4, rtol=0)


class _AttrCfg:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_nms_none_keeps_every_candidate_unsorted(parity_data):
    result, _ = _detect_fixture_video(parity_data, 1, nms_method="none")
    # more than max_seg_num candidates, each within the video
    assert result["segments"].shape[0] > 200
    assert result["segments"].min() >= 0 and result["segments"].max() <= parity_data["videos"][1]["duration"]
    assert not torch.all(result["scores"][:-1] >= result["scores"][1:])  # not re-sorted


def test_hard_nms_and_attribute_config(parity_data):
    model_cfg = parity_data["config"]["model"]
    video, expected = parity_data["videos"][0], parity_data["eval"][0]
    points, masks = _points_and_masks(model_cfg, video["feats"].shape[-1])
    cls_logits = [x[0].permute(1, 0) for x in expected["cls_logits"]]  # (1, C, T) -> (T, C)
    offsets = [x[0].permute(1, 0) for x in expected["offsets"]]  # (1, 2, T) -> (T, 2)
    cfg = _AttrCfg(**dict(model_cfg["test_cfg"], nms_method="hard", iou_threshold=0.5))
    result = detect(points, cls_logits, offsets, masks, video, cfg)
    assert 0 < result["segments"].shape[0] <= 200
    assert torch.all(result["scores"][:-1] >= result["scores"][1:])


def test_config_errors_are_clear(parity_data):
    with pytest.raises(ValueError, match="unknown NMS method 'softer'. Did you mean 'soft'"):
        _detect_fixture_video(parity_data, 0, nms_method="softer")
    model_cfg = parity_data["config"]["model"]
    cfg = dict(model_cfg["test_cfg"])
    del cfg["nms_sigma"]
    with pytest.raises(KeyError, match="nms_sigma"):
        detect([], [], [], [], parity_data["videos"][0], cfg)
    with pytest.raises(KeyError, match="video_meta of video 'x' has no 'fps'"):
        detect([], [], [], [], {"video_id": "x"}, model_cfg["test_cfg"])


def test_bad_video_metadata_names_the_video(parity_data):
    video = dict(parity_data["videos"][0], duration=-1.0)
    with pytest.raises(ValueError, match=f"video '{video['video_id']}'.*duration must be >= 0"):
        _detect_fixture_video({**parity_data, "videos": [video]}, 0)


def test_bfloat16_head_outputs_are_widened(parity_data):
    """Head outputs of a bf16 autocast forward go through the numpy NMS (which has no bfloat16)."""
    model_cfg = parity_data["config"]["model"]
    video, expected = parity_data["videos"][0], parity_data["eval"][0]
    points, masks = _points_and_masks(model_cfg, video["feats"].shape[-1])
    cls_logits = [x[0].permute(1, 0).bfloat16() for x in expected["cls_logits"]]  # (1, C, T) -> (T, C)
    offsets = [x[0].permute(1, 0).bfloat16() for x in expected["offsets"]]  # (1, 2, T) -> (T, 2)
    meta = {k: video[k] for k in ("video_id", "fps", "duration", "feat_stride", "feat_num_frames")}
    result = detect(points, cls_logits, offsets, masks, meta, model_cfg["test_cfg"])
    assert result["scores"].dtype == torch.float32 and result["segments"].dtype == torch.float32
    assert result["segments"].shape[0] > 0
    assert torch.all(result["scores"][:-1] >= result["scores"][1:])


def test_registered_nms_method_and_filters_run_in_order(parity_data, monkeypatch):
    from actionformer.postprocess import DETECTION_FILTERS, NMS_METHODS

    calls = []

    def keep_top(segs, scores, labels, test_cfg):  # an NMS variant: the 3 best candidates
        calls.append(("nms", len(scores)))
        order = scores.argsort(descending=True)[:3]
        return segs[order], scores[order], labels[order]

    def halve(detection, test_cfg, meta):  # filters see seconds and the video's meta
        calls.append(("halve", meta["video_id"]))
        return dict(detection, scores=detection["scores"] * 0.5)

    def drop_last(detection, test_cfg, meta):
        calls.append(("drop_last", len(detection["scores"])))
        return {k: (v[:-1] if k != "video_id" else v) for k, v in detection.items()}

    for name, fn in (("test_keep_top", keep_top),):
        monkeypatch.setitem(NMS_METHODS._entries, name, fn)
    for name, fn in (("test_halve", halve), ("test_drop_last", drop_last)):
        monkeypatch.setitem(DETECTION_FILTERS._entries, name, fn)
    plain, _ = _detect_fixture_video(parity_data, 0, nms_method="test_keep_top")
    result, _ = _detect_fixture_video(parity_data, 0, nms_method="test_keep_top",
                                      filters=["test_halve", "test_drop_last"])
    video_id = parity_data["videos"][0]["video_id"]
    assert [c[0] for c in calls] == ["nms", "nms", "halve", "drop_last"] and calls[2][1] == video_id
    assert len(plain["scores"]) == 3 and len(result["scores"]) == 2
    torch.testing.assert_close(result["scores"], plain["scores"][:2] * 0.5)
    assert plain["segments"].max() > 1.0  # in seconds, like the filters see them


def test_unknown_filter_is_a_clear_error(parity_data):
    with pytest.raises(ValueError, match="unknown detection filter 'nope'"):
        _detect_fixture_video(parity_data, 0, filters=["nope"])
