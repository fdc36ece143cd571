"""Point events from per-class heatmaps: local maxima, merged across pyramid levels, non-maximum
suppression within a time window, top-k (action spotting; SnapFormer's decoding).

Plain functions on tensors. Peak finding is one max-pool per level on the model's device; only
the few candidates it leaves reach the window NMS.
"""

from __future__ import annotations

from typing import Mapping, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

Window = Union[float, Sequence[float]]


def find_peaks(scores: torch.Tensor, mask: torch.Tensor, kernel: int, threshold: float,
               topk: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Local maxima of one level's (T, C) scores over time: a step is a peak of class c when no
    step within ``kernel // 2`` scores higher, it is valid (``mask`` (T,)) and it scores at least
    ``threshold``. Returns (step indices, class ids, scores) of at most ``topk`` best peaks."""
    if scores.numel() == 0:
        empty = scores.new_zeros(0)
        return empty.long(), empty.long(), empty
    masked = scores.masked_fill(~mask[:, None], -1.0)  # padded steps never win, nor are peaks
    pooled = F.max_pool1d(masked.t()[None], kernel, stride=1, padding=kernel // 2).squeeze(0).t()  # (T, C)
    is_peak = (masked == pooled) & (masked >= threshold) & mask[:, None]
    steps, classes = is_peak.nonzero(as_tuple=True)
    values = scores[steps, classes]
    if values.numel() > topk:
        values, order = values.topk(topk)
        steps, classes = steps[order], classes[order]
    return steps, classes, values


def window_nms(times: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, window: Window,
               max_events: int) -> torch.Tensor:
    """Indices kept by greedy non-maximum suppression per class: in score order, an event
    suppresses the weaker ones of its class closer than ``window / 2`` seconds (a window of that
    width centred on it). ``window`` is one number, or one per class id; 0 keeps everything.
    At most ``max_events`` indices, best first."""
    order = scores.argsort(descending=True, stable=True)
    if times.numel() == 0:
        return order
    if isinstance(window, (int, float)):
        half = torch.full_like(times, 0.5 * float(window))
    else:
        half = 0.5 * torch.as_tensor(list(window), dtype=times.dtype, device=times.device)[labels.long()]
    t, lab, h = times[order].cpu(), labels[order].cpu(), half[order].cpu()
    keep = torch.zeros(t.shape[0], dtype=torch.bool)
    for cls in lab.unique().tolist():
        rows = (lab == cls).nonzero(as_tuple=True)[0]  # this class's events, best first
        keep[rows[_greedy(t[rows], h[rows])]] = True
    return order[keep.to(order.device)][:max_events]


def _greedy(times: torch.Tensor, half: torch.Tensor) -> torch.Tensor:
    """Kept positions among events sorted best first: each kept one suppresses the later ones
    closer than its half window."""
    close = torch.triu((times[:, None] - times[None, :]).abs() < half[:, None], diagonal=1)  # (K, K)
    keep = torch.ones(times.shape[0], dtype=torch.bool)
    for i in range(times.shape[0]):  # only kept events suppress
        if keep[i]:
            keep &= ~close[i]
    return keep.nonzero(as_tuple=True)[0]


def spot_events(
    scores_per_level: Sequence[torch.Tensor],
    offsets_per_level: Sequence[torch.Tensor],
    masks_per_level: Sequence[torch.Tensor],
    strides: Sequence[int],
    video_meta: Mapping[str, float],
    test_cfg: Mapping[str, object],
) -> dict:
    """One video's events in seconds: ``{"video_id", "times" (K,), "scores" (K,) in [0, 1],
    "labels" (K,)}`` (CPU tensors, best first).

    ``scores_per_level``: (T_l, C) probabilities; ``offsets_per_level``: (T_l,) the event's
    sub-step position relative to the step, in units of the level's stride. A feature-grid
    position g is at ``(g * feat_stride + feat_num_frames / 2) / fps`` seconds, clipped to
    the video. ``test_cfg``: ``peak_kernel``, ``pre_nms_thresh``, ``pre_nms_topk`` (per level
    and after merging the levels),
    ``nms_window`` (seconds, per class optional) and ``max_seg_num`` (top-k per video).
    """
    kernel = int(test_cfg.get("peak_kernel", 3))
    threshold = float(test_cfg.get("pre_nms_thresh", 0.001))
    topk = int(test_cfg.get("pre_nms_topk", 5000))
    times, scores, labels = [], [], []
    for probs, offsets, mask, stride in zip(scores_per_level, offsets_per_level, masks_per_level, strides):
        steps, classes, values = find_peaks(probs.float(), mask, kernel, threshold, topk)
        shift = offsets.float()[steps].clamp(-1.0, 1.0)
        times.append((steps.float() + shift) * float(stride))
        scores.append(values)
        labels.append(classes)
    grid = torch.cat(times)
    fps, stride, frames = (float(video_meta[k]) for k in ("fps", "feat_stride", "feat_num_frames"))
    seconds = ((grid * stride + 0.5 * frames) / fps).clamp(0.0, float(video_meta["duration"]))
    all_scores, all_labels = torch.cat(scores), torch.cat(labels)
    if all_scores.numel() > topk:  # the best candidates of all levels reach the NMS
        all_scores, best = all_scores.topk(topk)
        seconds, all_labels = seconds[best], all_labels[best]
    keep = window_nms(seconds, all_scores, all_labels, test_cfg.get("nms_window", 0.0),  # type: ignore[arg-type]
                      int(test_cfg.get("max_seg_num", 1000)))
    return {"video_id": video_meta["video_id"], "times": seconds[keep].cpu(), "scores": all_scores[keep].cpu(),
            "labels": all_labels[keep].cpu()}
