"""Scalar reference of the original release's NMS: its C++ loops, transcribed one step at a time.

Slow on purpose (plain Python over float32 scalars); the tests compare the vectorised
implementation with it on random inputs, ties included.
"""

from __future__ import annotations

import math

import numpy as np
import torch

F32 = np.float32


def soft_nms_loop(segs, scores, sigma, min_score):
    """Returns (order of original indices, x1, x2, decayed score) as the C++ softnms fills them."""
    x1 = [F32(v) for v in segs[:, 0]]
    x2 = [F32(v) for v in segs[:, 1]]
    sc = [F32(v) for v in scores]
    area = [F32(b - a) + F32(1e-6) for a, b in zip(x1, x2)]
    idx = list(range(len(sc)))
    sigma, min_score = F32(sigma), F32(min_score)
    dets = []
    n = len(sc)
    i = 0
    while i < n:
        best, best_pos = sc[i], i
        for pos in range(i + 1, n):
            if best < sc[pos]:
                best, best_pos = sc[pos], pos
        for arr in (x1, x2, sc, area, idx):
            arr[i], arr[best_pos] = arr[best_pos], arr[i]
        dets.append((x1[i], x2[i], sc[i]))
        pos = i + 1
        while pos < n:
            inter = max(F32(0), min(x2[i], x2[pos]) - max(x1[i], x1[pos]))
            ovr = inter / (area[i] + area[pos] - inter)
            weight = F32(math.exp(float(-(ovr * ovr) / sigma)))
            sc[pos] = sc[pos] * weight
            if sc[pos] < min_score:
                for arr in (x1, x2, sc, area, idx):
                    arr[pos] = arr[n - 1]
                n -= 1
                pos -= 1
            pos += 1
        i += 1
    return idx[:n], dets[:n]


def hard_nms_loop(segs, scores, iou_threshold):
    """Kept original indices, in order, as the C++ nms returns them."""
    x1 = segs[:, 0].numpy().astype(F32)
    x2 = segs[:, 1].numpy().astype(F32)
    area = (x2 - x1) + F32(1e-6)
    order = torch.sort(scores, descending=True)[1].tolist()
    select = [True] * len(order)
    thr = F32(iou_threshold)
    for a in range(len(order)):
        if not select[a]:
            continue
        i = order[a]
        for b in range(a + 1, len(order)):
            if not select[b]:
                continue
            j = order[b]
            inter = max(F32(0), min(x2[i], x2[j]) - max(x1[i], x1[j]))
            if inter / (area[i] + area[j] - inter) >= thr:
                select[b] = False
    return [o for o, s in zip(order, select) if s]


def _nms_one_group(segs, scores, cls_idxs, iou_threshold, min_score, max_num, soft, sigma):
    if soft:
        inds, dets = soft_nms_loop(segs, scores, sigma, min_score)
        n = min(len(inds), max_num) if max_num > 0 else len(inds)
        d = torch.tensor([[a, b, c] for a, b, c in dets[:n]], dtype=torch.float32).reshape(-1, 3)
        return d[:, :2], d[:, 2], cls_idxs[torch.tensor(inds[:n], dtype=torch.long)]
    if min_score > 0:
        keep = scores > min_score
        segs, scores, cls_idxs = segs[keep], scores[keep], cls_idxs[keep]
    inds = torch.tensor(hard_nms_loop(segs, scores, iou_threshold), dtype=torch.long)
    if max_num > 0:
        inds = inds[:max_num]
    return segs[inds], scores[inds], cls_idxs[inds]


def reference_batched_nms(segs, scores, cls_idxs, iou_threshold, min_score, max_seg_num,
                          use_soft_nms=True, multiclass=True, sigma=0.5, voting_thresh=0.75):
    if segs.shape[0] == 0:
        return torch.zeros([0, 2]), torch.zeros([0]), torch.zeros([0], dtype=cls_idxs.dtype)
    if multiclass:
        parts = []
        for c in torch.unique(cls_idxs):
            idx = torch.where(cls_idxs == c)[0]
            parts.append(_nms_one_group(segs[idx], scores[idx], cls_idxs[idx], iou_threshold,
                                        min_score, max_seg_num, use_soft_nms, sigma))
        new_segs, new_scores, new_cls = (torch.cat(x) for x in zip(*parts))
    else:
        new_segs, new_scores, new_cls = _nms_one_group(
            segs, scores, cls_idxs, iou_threshold, min_score, max_seg_num, use_soft_nms, sigma)
        if voting_thresh > 0:
            new_segs = voting_loop(new_segs, segs, scores, voting_thresh)
    order = new_scores.sort(descending=True)[1][:max_seg_num]
    return new_segs[order], new_scores[order], new_cls[order]


def voting_loop(nms_segs, all_segs, all_scores, thr):
    """Score voting written out per pair, in float64 (compared with a tolerance)."""
    out = []
    for a, b in nms_segs.double().tolist():
        wsum, acc0, acc1 = 0.0, 0.0, 0.0
        for (c, d), s in zip(all_segs.double().tolist(), all_scores.double().tolist()):
            inter = max(0.0, min(b, d) - max(a, c))
            iou = inter / ((b - a) + (d - c) - inter)
            if iou >= thr:
                w = s * iou
                wsum, acc0, acc1 = wsum + w, acc0 + w * c, acc1 + w * d
        out.append([acc0 / wsum, acc1 / wsum])
    return torch.tensor(out, dtype=torch.float32).reshape(-1, 2)
