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
    """
    num_thr = tp.shape[0]
    num_classes = class_offsets.shape[0] - 1
    ap = np.zeros((num_thr, num_classes))
    tp_cumsum = np.cumsum(tp, axis=1, dtype=np.float64)  # exact small integers
    for c in range(num_classes):
        a, b = int(class_offsets[c]), int(class_offsets[c + 1])
        if b == a:
            continue
        tp_c = tp_cumsum[:, a:b] - (tp_cumsum[:, a - 1:a] if a > 0 else 0.0)  # (T, L)
        seen = np.arange(1, b - a + 1, dtype=np.float64)
        fp_c = seen - tp_c
        precision = tp_c / (tp_c + fp_c)
        recall = tp_c / float(num_positives[c])
        ap[:, c] = interpolated_average_precision(precision, recall)
    return ap
