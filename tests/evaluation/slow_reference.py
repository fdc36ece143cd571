"""A deliberately slow, loop-by-loop reimplementation of the references' evaluator, for tests.

It follows the official ActivityNet ``compute_average_precision_detection`` and the original
release's ``compute_topkx_recall_detection`` step by step (one prediction, one threshold, one
ground-truth instance at a time; the same numpy ``argsort`` calls on the same arrays), with
plain lists in place of pandas. Our vectorized evaluator must agree with it to the last bit.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np


def ref_segment_iou(target: Sequence[float], candidates: np.ndarray) -> np.ndarray:
    tt1 = np.maximum(target[0], candidates[:, 0])
    tt2 = np.minimum(target[1], candidates[:, 1])
    inter = (tt2 - tt1).clip(0)
    union = (candidates[:, 1] - candidates[:, 0]) + (target[1] - target[0]) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter.astype(float) / union


def ref_interpolated_prec_rec(prec: np.ndarray, rec: np.ndarray) -> float:
    mprec = np.hstack([[0], prec, [0]])
    mrec = np.hstack([[0], rec, [1]])
    for i in range(len(mprec) - 1)[::-1]:
        mprec[i] = max(mprec[i], mprec[i + 1])
    idx = np.where(mrec[1::] != mrec[0:-1])[0] + 1
    return np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx])


Row = Tuple  # ground truth: (video, start, end); prediction: (video, start, end, score)


def _by_video(rows: Sequence[Row]) -> Dict[str, List[int]]:
    groups: Dict[str, List[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(row[0], []).append(i)
    return groups


def ref_ap_one_class(gt: Sequence[Row], preds: Sequence[Row], thresholds: Sequence[float]) -> np.ndarray:
    ap = np.zeros(len(thresholds))
    if not preds:
        return ap
    npos = float(len(gt))
    lock_gt = np.ones((len(thresholds), len(gt))) * -1
    sort_idx = np.array([p[3] for p in preds], dtype=np.float64).argsort()[::-1]
    preds = [preds[i] for i in sort_idx]
    tp = np.zeros((len(thresholds), len(preds)))
    fp = np.zeros((len(thresholds), len(preds)))
    gt_by_video = _by_video(gt)
    for idx, pred in enumerate(preds):
        if pred[0] not in gt_by_video:
            fp[:, idx] = 1
            continue
        members = gt_by_video[pred[0]]
        cand = np.array([[gt[j][1], gt[j][2]] for j in members], dtype=np.float64)
        tiou_arr = ref_segment_iou((pred[1], pred[2]), cand)
        tiou_sorted_idx = tiou_arr.argsort()[::-1]
        for tidx, thr in enumerate(thresholds):
            for jdx in tiou_sorted_idx:
                if tiou_arr[jdx] < thr:
                    fp[tidx, idx] = 1
                    break
                if lock_gt[tidx, members[jdx]] >= 0:
                    continue
                tp[tidx, idx] = 1
                lock_gt[tidx, members[jdx]] = idx
                break
            if fp[tidx, idx] == 0 and tp[tidx, idx] == 0:
                fp[tidx, idx] = 1
    tp_cumsum = np.cumsum(tp, axis=1).astype(np.float64)
    fp_cumsum = np.cumsum(fp, axis=1).astype(np.float64)
    recall_cumsum = tp_cumsum / npos
    precision_cumsum = tp_cumsum / (tp_cumsum + fp_cumsum)
    for tidx in range(len(thresholds)):
        ap[tidx] = ref_interpolated_prec_rec(precision_cumsum[tidx, :], recall_cumsum[tidx, :])
    return ap


def ref_recall_one_class(gt: Sequence[Row], preds: Sequence[Row], thresholds: Sequence[float],
                         top_k: Sequence[int]) -> np.ndarray:
    if not preds:
        return np.zeros((len(thresholds), len(top_k)))
    tp = np.zeros((len(thresholds), len(top_k)))
    n_gts = 0
    pred_by_video = _by_video(preds)
    for vid, members in _by_video(gt).items():
        n_gts += len(members)
        if vid not in pred_by_video:
            continue
        this_gt = np.array([[gt[j][1], gt[j][2]] for j in members], dtype=np.float64)
        this_pred = [preds[i] for i in pred_by_video[vid]]
        score_sort_idx = np.array([p[3] for p in this_pred], dtype=np.float64).argsort()[::-1]
        top_idx = score_sort_idx[:max(top_k) * len(members)]
        segs = np.array([[p[1], p[2]] for p in this_pred], dtype=np.float64)[top_idx]
        tiou_arr = np.stack([ref_segment_iou(s, this_gt) for s in segs])
        for tidx, thr in enumerate(thresholds):
            for kidx, k in enumerate(top_k):
                tiou = tiou_arr[:k * len(members)]
                tp[tidx, kidx] += ((tiou >= thr).sum(axis=0) > 0).sum()
    return tp / n_gts


def ref_remove_duplicates(events: Sequence[Tuple[float, float, int]], tol: float = 1e-3) -> List[int]:
    kept: List[int] = []
    for i, (s, e, label) in enumerate(events):
        valid = (e - s) >= tol
        for j in kept:
            if abs(s - events[j][0]) <= tol and abs(e - events[j][1]) <= tol and label == events[j][2]:
                valid = False
                break
        if valid:
            kept.append(i)
    return kept


def ref_evaluate(database: dict, split, preds: dict, thresholds, top_k=(1, 5), remove_duplicates=True,
                 class_order: str = "sorted"):
    """The whole pipeline on the original's inputs: a ``database`` dict and a dict-of-arrays of predictions.

    Predictions of label ids absent from the ground truth are dropped (our documented choice).
    ``class_order``: 'sorted' (original release: sorted label ids) or 'first_seen' (official).
    Returns (ap (T, C), recall (T, K, C), class label ids in column order).
    """
    gt_rows: List[Tuple[str, float, float, int]] = []
    for vid, video in database.items():
        if split is not None and video["subset"].lower() != split:
            continue
        events = [(float(a["segment"][0]), float(a["segment"][1]), int(a["label_id"])) for a in video["annotations"]]
        keep = ref_remove_duplicates(events) if remove_duplicates else range(len(events))
        gt_rows += [(vid, events[i][0], events[i][1], events[i][2]) for i in keep]
    labels_seen: List[int] = []
    for row in gt_rows:
        if row[3] not in labels_seen:
            labels_seen.append(row[3])
    classes = sorted(labels_seen) if class_order == "sorted" else labels_seen
    pred_rows = list(zip([str(v) for v in preds["video-id"]], np.asarray(preds["t-start"], np.float64).tolist(),
                         np.asarray(preds["t-end"], np.float64).tolist(), np.asarray(preds["label"]).tolist(),
                         np.asarray(preds["score"], np.float64).tolist()))
    ap = np.zeros((len(thresholds), len(classes)))
    recall = np.zeros((len(thresholds), len(top_k), len(classes)))
    for c, label in enumerate(classes):
        gt_c = [(r[0], r[1], r[2]) for r in gt_rows if r[3] == label]
        pred_c = [(p[0], p[1], p[2], p[4]) for p in pred_rows if p[3] == label]
        ap[:, c] = ref_ap_one_class(gt_c, pred_c, thresholds)
        recall[..., c] = ref_recall_one_class(gt_c, pred_c, thresholds, top_k)
    return ap, recall, classes
