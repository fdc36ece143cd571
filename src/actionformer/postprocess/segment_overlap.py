"""Overlap of one kept segment with a row of candidates, as the NMS loops need it: IoU (the
original's arithmetic, lengths with +1e-6) and DIoU."""

from __future__ import annotations

import numpy as np


def segment_iou(
    top_x1: np.ndarray, top_x2: np.ndarray, top_len: np.ndarray,
    x1: np.ndarray, x2: np.ndarray, length: np.ndarray,
) -> np.ndarray:
    """IoU of one segment per row (shape (R, 1)) against a row of segments (R, L), as the original."""
    inter = np.maximum(np.minimum(top_x2, x2) - np.maximum(top_x1, x1), 0)
    return inter / (top_len + length - inter)


def segment_diou(
    top_x1: np.ndarray, top_x2: np.ndarray, top_len: np.ndarray, top_mid: np.ndarray,
    x1: np.ndarray, x2: np.ndarray, length: np.ndarray, mid: np.ndarray,
) -> np.ndarray:
    """DIoU, IoU - (centre distance / enclosing length)^2, in [-1, 1], with the shapes of
    ``segment_iou`` and the centres ``mid`` given. The enclosing length is
    ``len_a + len_b - overlap`` with the overlap taken before clamping at 0 (negative: the gap),
    which reuses the IoU's terms; the lengths carry the original's +1e-6, so two identical
    zero-length segments give 0 / eps, not 0 / 0."""
    overlap = np.minimum(top_x2, x2) - np.maximum(top_x1, x1)
    inter = np.maximum(overlap, 0)
    lengths = top_len + length
    iou = inter / (lengths - inter)
    ratio = (top_mid - mid) / (lengths - overlap)
    return iou - np.square(ratio)


def segment_centres(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Centres of segments, as DIoU uses them (computed once per candidate, not per step)."""
    return (x1 + x2) * x1.dtype.type(0.5)
