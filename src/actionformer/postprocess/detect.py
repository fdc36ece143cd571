"""One video's head outputs -> final detections in seconds (the original's inference + postprocessing)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence

import torch

from actionformer.postprocess.decode import decode_candidates
from actionformer.postprocess.nms import batched_nms
from actionformer.postprocess.seconds import grid_to_seconds

NMS_METHODS = ("soft", "hard", "none")
TEST_CFG_KEYS = (
    "pre_nms_thresh", "pre_nms_topk", "duration_thresh", "nms_method", "iou_threshold",
    "min_score", "max_seg_num", "multiclass_nms", "nms_sigma", "voting_thresh",
)
VIDEO_META_KEYS = ("video_id", "fps", "duration", "feat_stride", "feat_num_frames")


def _lookup(container: Any, key: str, what: str) -> Any:
    """``container[key]`` for a mapping, ``container.key`` otherwise, with a clear error."""
    if isinstance(container, Mapping):
        if key in container:
            return container[key]
    elif hasattr(container, key):
        return getattr(container, key)
    raise KeyError(f"detect: {what} has no '{key}'")


def _widen(tensor: torch.Tensor) -> torch.Tensor:
    """float16 / bfloat16 -> float32; other dtypes unchanged."""
    return tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor


def detect(
    points_per_level: Sequence[torch.Tensor],
    cls_logits_per_level: Sequence[torch.Tensor],
    offsets_per_level: Sequence[torch.Tensor],
    masks_per_level: Sequence[torch.Tensor],
    video_meta: Mapping[str, Any],
    test_cfg: Any,
) -> Dict[str, Any]:
    """Final detections of one video.

    Steps (each as in the original release): sigmoid and per-level candidate selection
    (``decode_candidates``), NMS (``batched_nms``; skipped when ``nms_method`` is ``"none"``),
    conversion from the feature grid to seconds with clipping to [0, duration]
    (``grid_to_seconds``).

    Args:
        points_per_level: per level (T_l, 4) [t, reg_range_min, reg_range_max, stride].
        cls_logits_per_level: per level (T_l, num_classes) raw logits.
        offsets_per_level: per level (T_l, 2) regression output (after Scale and ReLU).
        masks_per_level: per level (T_l,) bool, True = valid.
        video_meta: video_id, fps, duration (seconds), feat_stride, feat_num_frames.
        test_cfg: mapping (or object with attributes) holding the keys of ``TEST_CFG_KEYS``.

    Returns:
        dict with video_id, segments (K, 2) float seconds, scores (K,), labels (K,) int64,
        on the CPU, sorted by descending score unless ``nms_method`` is ``"none"``.
    """
    cfg = {key: _lookup(test_cfg, key, "test_cfg") for key in TEST_CFG_KEYS}
    video_id = _lookup(video_meta, "video_id", "video_meta")
    meta = {key: _lookup(video_meta, key, f"video_meta of video {video_id!r}") for key in VIDEO_META_KEYS}
    if cfg["nms_method"] not in NMS_METHODS:
        raise ValueError(
            f"detect: test_cfg.nms_method must be one of {NMS_METHODS}, got {cfg['nms_method']!r}"
        )
    segs, scores, labels = decode_candidates(
        points_per_level, cls_logits_per_level, offsets_per_level, masks_per_level,
        pre_nms_thresh=cfg["pre_nms_thresh"], pre_nms_topk=cfg["pre_nms_topk"],
        duration_thresh=cfg["duration_thresh"],
    )
    # the NMS kernels run in numpy, which has no bfloat16: widen half-precision outputs (exact)
    segs, scores = (_widen(t.detach().cpu()) for t in (segs, scores))
    labels = labels.detach().cpu()
    if cfg["nms_method"] != "none":
        segs, scores, labels = batched_nms(
            segs, scores, labels,
            cfg["iou_threshold"], cfg["min_score"], cfg["max_seg_num"],
            use_soft_nms=cfg["nms_method"] == "soft",
            multiclass=cfg["multiclass_nms"],
            sigma=cfg["nms_sigma"],
            voting_thresh=cfg["voting_thresh"],
        )
    try:
        segs = grid_to_seconds(
            segs, meta["fps"], meta["feat_stride"], meta["feat_num_frames"], meta["duration"]
        )
    except ValueError as exc:
        raise ValueError(f"detect: video {video_id!r}: {exc}") from None
    return {"video_id": meta["video_id"], "segments": segs, "scores": scores, "labels": labels}
