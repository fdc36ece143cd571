"""Scalar references for the NMS options of issue 13 (DIoU, per-class sigma / threshold).

The same loops as ``nms_reference_loops.py`` (the original's visiting order, ties included),
with the overlap and the per-class parameters written out one pair at a time in float32.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from nms_reference_loops import voting_loop

F32 = np.float32
EPS = F32(1e-6)


def overlap(a1, a2, b1, b2, use_diou):
    """IoU (or DIoU) of two float32 segments, with the original's +1e-6 lengths."""
    len_a, len_b = (a2 - a1) + EPS, (b2 - b1) + EPS
    overlap_or_gap = min(a2, b2) - max(a1, b1)  # negative: the gap between them
    inter = max(F32(0), overlap_or_gap)
    iou = inter / (len_a + len_b - inter)
    if not use_diou:
        return iou
    centre_distance = (a1 + a2) * F32(0.5) - (b1 + b2) * F32(0.5)
    enclosing = (len_a + len_b) - overlap_or_gap  # max(a2, b2) - min(a1, b1), plus 2e-6
    return iou - (centre_distance / enclosing) * (centre_distance / enclosing)


def soft_nms_loop(segs, scores, sigmas, min_score, use_diou):
    """Kept (original index, x1, x2, decayed score) in selection order; ``sigmas`` per candidate."""
    x1 = [F32(v) for v in segs[:, 0]]
    x2 = [F32(v) for v in segs[:, 1]]
    sc = [F32(v) for v in scores]
    sg = [F32(v) for v in sigmas]
    idx = list(range(len(sc)))
    min_score = F32(min_score)
    kept, n, i = [], len(sc), 0
    while i < n:
        best_pos = max(range(i, n), key=lambda p: (sc[p], -p))  # the first maximum
        for arr in (x1, x2, sc, sg, idx):
            arr[i], arr[best_pos] = arr[best_pos], arr[i]
        kept.append((idx[i], x1[i], x2[i], sc[i]))
        pos = i + 1
        while pos < n:
            ovr = overlap(x1[i], x2[i], x1[pos], x2[pos], use_diou)
            if use_diou:
                ovr = max(ovr, F32(0))
            sc[pos] = sc[pos] * F32(math.exp(float((ovr * ovr) / -sg[i])))
            if sc[pos] < min_score:  # the original's compaction: the last candidate moves here
                for arr in (x1, x2, sc, sg, idx):
                    arr[pos] = arr[n - 1]
                n -= 1
                pos -= 1
            pos += 1
        i += 1
    return kept


def hard_nms_loop(segs, scores, thresholds, use_diou):
    """Kept original indices in order; a kept segment suppresses with its own threshold."""
    x1 = segs[:, 0].numpy().astype(F32)
    x2 = segs[:, 1].numpy().astype(F32)
    order = torch.sort(scores, descending=True)[1].tolist()
    alive = [True] * len(order)
    for a, i in enumerate(order):
        if not alive[a]:
            continue
        for b in range(a + 1, len(order)):
            j = order[b]
            if alive[b] and overlap(x1[i], x2[i], x1[j], x2[j], use_diou) >= F32(thresholds[i]):
                alive[b] = False
    return [o for o, keep in zip(order, alive) if keep]


def _one_group(segs, scores, cls, values, min_score, max_num, soft, use_diou):
    if soft:
        kept = soft_nms_loop(segs, scores, values, min_score, use_diou)[:max_num]
        inds = torch.tensor([k[0] for k in kept], dtype=torch.long)
        out = torch.tensor([[k[1], k[2], k[3]] for k in kept], dtype=torch.float32).reshape(-1, 3)
        return out[:, :2], out[:, 2], cls[inds]
    if min_score > 0:
        keep = scores > min_score
        segs, scores, cls, values = segs[keep], scores[keep], cls[keep], values[keep.numpy()]
    inds = torch.tensor(hard_nms_loop(segs, scores, values, use_diou), dtype=torch.long)[:max_num]
    return segs[inds], scores[inds], cls[inds]


def reference_nms(segs, scores, cls, iou_threshold, min_score, max_seg_num, use_soft_nms=True,
                  multiclass=True, sigma=0.5, voting_thresh=0.0, use_diou=False, class_sigma=None,
                  class_iou_threshold=None):
    """``batched_nms`` with the issue-13 options, one candidate pair at a time."""
    table, default = (class_sigma, sigma) if use_soft_nms else (class_iou_threshold, iou_threshold)
    values = np.array([(table or {}).get(int(c), default) for c in cls], dtype=np.float64)
    if multiclass:
        parts = []
        for c in torch.unique(cls):
            idx = torch.where(cls == c)[0]
            parts.append(_one_group(segs[idx], scores[idx], cls[idx], values[idx.numpy()], min_score,
                                    max_seg_num, use_soft_nms, use_diou))
        new_segs, new_scores, new_cls = (torch.cat(x) for x in zip(*parts))
    else:
        new_segs, new_scores, new_cls = _one_group(segs, scores, cls, values, min_score, max_seg_num,
                                                   use_soft_nms, use_diou)
        if voting_thresh > 0:
            new_segs = voting_loop(new_segs, segs, scores, voting_thresh)
    order = new_scores.sort(descending=True)[1][:max_seg_num]
    return new_segs[order], new_scores[order], new_cls[order]
