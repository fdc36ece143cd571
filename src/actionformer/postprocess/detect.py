"""One video's head outputs -> final detections in seconds (the original's inference + postprocessing)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence

import torch

from actionformer.postprocess.decode import decode_candidates
from actionformer.postprocess.registries import DETECTION_FILTERS, NMS_METHODS
from actionformer.postprocess.seconds import grid_to_seconds

# what every NMS method and the decoding read; a method's own keys are its business
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

    Steps (the first three as in the original release): sigmoid (of the logits divided by
    ``test_cfg.score_temperature``, when set) and per-level candidate
    selection (``decode_candidates``), the NMS method registered as ``test_cfg.nms_method``
    (``NMS_METHODS``), conversion from the feature grid to seconds with clipping to
    [0, duration] (``grid_to_seconds``), then the filters named in ``test_cfg.filters``
    (``DETECTION_FILTERS``), in order, and the temporal rules of ``test_cfg.constraints`` when
    set (the ``constraints`` filter, last unless ``filters`` places it).

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
    cfg = dict(test_cfg) if isinstance(test_cfg, Mapping) else {}
    cfg.update({key: _lookup(test_cfg, key, "test_cfg") for key in TEST_CFG_KEYS})
    video_id = _lookup(video_meta, "video_id", "video_meta")
    meta = {key: _lookup(video_meta, key, f"video_meta of video {video_id!r}") for key in VIDEO_META_KEYS}
    try:
        nms = NMS_METHODS.get(cfg["nms_method"])
        names = list(cfg.get("filters") or ())
        if cfg.get("constraints") and "constraints" not in names:
            names.append("constraints")  # test_cfg.constraints selects its filter (last)
        filters = [DETECTION_FILTERS.get(name) for name in names]
    except KeyError as exc:
        raise ValueError(f"detect: test_cfg: {exc.args[0]}") from None
    segs, scores, labels = decode_candidates(
        points_per_level, cls_logits_per_level, offsets_per_level, masks_per_level,
        pre_nms_thresh=cfg["pre_nms_thresh"], pre_nms_topk=cfg["pre_nms_topk"],
        duration_thresh=cfg["duration_thresh"],
        score_temperature=float(cfg.get("score_temperature", 1.0)),
    )
    # the NMS kernels run in numpy, which has no bfloat16: widen half-precision outputs (exact)
    segs, scores = (_widen(t.detach().cpu()) for t in (segs, scores))
    labels = labels.detach().cpu()
    segs, scores, labels = nms(segs, scores, labels, cfg)
    try:
        segs = grid_to_seconds(
            segs, meta["fps"], meta["feat_stride"], meta["feat_num_frames"], meta["duration"]
        )
    except ValueError as exc:
        raise ValueError(f"detect: video {video_id!r}: {exc}") from None
    detection = {"video_id": meta["video_id"], "segments": segs, "scores": scores, "labels": labels}
    for keep in filters:
        detection = keep(detection, cfg, meta)
    return detection
