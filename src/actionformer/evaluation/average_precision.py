"""Interpolated average precision per class and tIoU threshold (the ActivityNet definition)."""

from __future__ import annotations

import numpy as np


def interpolated_average_precision(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """(T,) area under the precision envelope, VOC 2011 style (the references' ``interpolated_prec_rec``).

    ``precision`` and ``recall`` are (T, L): one cumulative curve per threshold. The envelope is
    the running maximum of precision from the right; the area sums ``Δrecall × precision`` at the
    points where recall changes. Each sum is taken over the same compact 1-D array of terms as
    the reference, so the pairwise summation rounds identically.
    """
    num_thr, length = precision.shape
    envelope = np.zeros((num_thr, length + 2))  # (T, L + 2): 0, precision..., 0
    envelope[:, 1:-1] = precision
    envelope = np.maximum.accumulate(envelope[:, ::-1], axis=1)[:, ::-1]
    rec = np.zeros((num_thr, length + 2))  # (T, L + 2): 0, recall..., 1
    rec[:, 1:-1] = recall
    rec[:, -1] = 1.0
    changed = rec[:, 1:] != rec[:, :-1]
    terms = (rec[:, 1:] - rec[:, :-1]) * envelope[:, 1:]
    return np.array([np.sum(terms[t][changed[t]]) for t in range(num_thr)], dtype=np.float64)


def average_precision_per_class(tp: np.ndarray, class_offsets: np.ndarray, num_positives: np.ndarray) -> np.ndarray:
    """(T, C) AP from true positives in class-sorted, score-sorted order.

    ``tp`` is (T, N) bool; class ``c`` owns columns ``class_offsets[c]:class_offsets[c + 1]``;
    ``num_positives`` (C,) counts its ground truth. A class without predictions scores 0.

    Only true positives are visited: recall changes exactly there, and the precision envelope at
    a true positive is the largest precision of the true positives from it on (precision falls
    on every false positive). The terms summed, and their order, are the reference's.
    """
    num_thr = tp.shape[0]
    num_classes = class_offsets.shape[0] - 1
    ap = np.zeros((num_thr, num_classes))
    thr_idx, position = np.nonzero(tp)  # sorted by threshold, then position
    cls = np.searchsorted(class_offsets, position, side="right") - 1
    segment = thr_idx * num_classes + cls  # non-decreasing
    bounds = np.searchsorted(segment, np.arange(num_thr * num_classes + 1))
    starts = bounds[:-1]
    # cumulative true positives at each true positive: its ordinal inside its (threshold, class)
    seg_of = np.repeat(np.arange(num_thr * num_classes), np.diff(bounds))
    tp_count = (np.arange(position.shape[0]) - starts[seg_of] + 1).astype(np.float64)
    seen = (position - class_offsets[cls] + 1).astype(np.float64)
    fp_count = seen - tp_count
    precision = tp_count / (tp_count + fp_count)
    npos = num_positives.astype(np.float64)[cls]
    recall = tp_count / npos
    recall_before = (tp_count - 1.0) / npos
    for t in range(num_thr):
        for c in range(num_classes):
            a, b = bounds[t * num_classes + c], bounds[t * num_classes + c + 1]
            if b == a:
                continue  # no true positive: every term is 0 and so is the sum
            envelope = np.maximum.accumulate(precision[a:b][::-1])[::-1]
            terms = (recall[a:b] - recall_before[a:b]) * envelope
            if recall[b - 1] != 1.0:  # the reference's last step, from the final recall to 1, at precision 0
                terms = np.append(terms, (1.0 - recall[b - 1]) * 0.0)
            ap[t, c] = np.sum(terms)
    return ap
