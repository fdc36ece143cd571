"""1-D non-maximum suppression for temporal segments: soft (Gaussian) and hard, per class or not,
on IoU or on DIoU, with optional per-class sigma / threshold.

Pure numpy/torch and exact with respect to the original release's compiled ``nms_1d_cpu``
extension: same float32 arithmetic (segment lengths carry the same ``+1e-6``), the same
tie-breaking (soft-NMS walks the candidates in the same permuted order, hard NMS uses the
same ``torch.sort``), the same outputs. Instead of one C++ loop per class, all classes are
packed into one padded ``(G, N)`` array and processed together, one vectorised pass per
kept segment; the loop stops after ``max_seg_num`` kept segments, which cannot change the
result because later selections are cut off anyway.

Options beyond the original (off by default, leaving its arithmetic untouched): DIoU in place
of IoU (``use_diou``), and a Gaussian sigma or IoU threshold per class, carried per candidate so
that class-agnostic NMS applies the one of each kept segment's class.
"""

from __future__ import annotations

from typing import List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from actionformer.postprocess.class_params import per_candidate_values
from actionformer.postprocess.segment_overlap import segment_diou, segment_iou, segment_centres
from actionformer.postprocess.voting import seg_voting

# Added to every segment length before the IoU, as the original does.
_LENGTH_EPS = 1e-6

# Row fields of the packed soft-NMS working array; optional ones (per-class sigma, the centres
# for DIoU) follow at the indices soft_nms_packed gives them.
_X1, _X2, _SCORE, _LENGTH, _INDEX = range(5)


def _working_dtype(segs: torch.Tensor) -> np.dtype:
    # The original runs in float32 (it reads the data as C floats); float64 input stays float64.
    return np.dtype(np.float64) if segs.dtype == torch.float64 else np.dtype(np.float32)


def _pack_groups(
    values: np.ndarray, group_positions: Sequence[np.ndarray], fill: float = 0.0
) -> Tuple[np.ndarray, np.ndarray]:
    """Gather ``values[pos]`` for each group into a padded ``(G, N, ...)`` array and lengths."""
    lengths = np.array([len(p) for p in group_positions], dtype=np.int64)
    width = int(lengths.max()) if len(lengths) else 0
    packed = np.full((len(group_positions), width) + values.shape[1:], fill, dtype=values.dtype)
    for row, pos in enumerate(group_positions):
        packed[row, : len(pos)] = values[pos]
    return packed, lengths


def soft_nms_packed(
    x1: np.ndarray,
    x2: np.ndarray,
    scores: np.ndarray,
    lengths: np.ndarray,
    sigma: float,
    min_score: float,
    max_keep: int,
    use_diou: bool = False,
    sigmas: Optional[np.ndarray] = None,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian soft-NMS on G independent groups at once.

    Args:
        x1, x2, scores: (G, N) arrays; row g holds its group's candidates in ``[:lengths[g]]``.
        lengths: (G,) number of candidates per group.
        sigma: Gaussian decay ``score *= exp(-iou**2 / sigma)``.
        min_score: candidates whose decayed score drops below it are discarded.
        max_keep: stop after this many selections per group (<= 0: no limit).
        use_diou: decay by DIoU instead of IoU, ``exp(-max(diou, 0)**2 / sigma)`` (a segment
            whose centre is far enough away is not decayed at all).
        sigmas: (G, N) per-candidate sigma (its class's); a kept segment decays the others by
            its own. ``None``: ``sigma`` everywhere.

    Returns:
        kept_index (G, K) int64 positions into each row, kept_score (G, K) decayed scores,
        kept_count (G,), with selections in order (non-increasing score) in ``[:kept_count[g]]``.
    """
    dtype = scores.dtype.type
    num_groups, width = scores.shape
    if width >= 2**24 and dtype is np.float32:
        raise ValueError(f"soft-NMS supports at most 2**24 candidates per group, got {width}")
    min_score_t, neg_sigma = dtype(min_score), -dtype(sigma)
    # (5 or 6, G, N): one array so that swaps and compactions move every field together
    fields = [
        x1, x2, scores, (x2 - x1) + dtype(_LENGTH_EPS),
        np.broadcast_to(np.arange(width, dtype=scores.dtype), (num_groups, width)),
    ]
    sigma_row = mid_row = None
    if sigmas is not None:
        sigma_row = len(fields)
        fields.append(sigmas.astype(scores.dtype, copy=False))
    if use_diou:
        mid_row = len(fields)
        fields.append(segment_centres(x1, x2))
    work = np.stack(fields)
    limit = width if max_keep <= 0 else min(width, max_keep)
    rows = np.arange(num_groups)  # group id of each row still in ``work``
    row_ids = np.arange(num_groups)  # 0..R-1
    active_len = lengths.astype(np.int64).copy()
    columns = np.arange(width)
    picked_rows, picked = [], []  # per step: group ids, (5, R) selected fields

    for step in range(limit):
        if active_len.min() <= step:  # drop finished groups for good
            live = active_len > step
            work, rows, active_len = work[:, live], rows[live], active_len[live]
            row_ids = row_ids[: rows.size]
            if rows.size == 0:
                break
        span = int(active_len.max())
        view = work[:, :, step:span]  # (5, R, L): the not yet selected part, a view
        valid = columns[: span - step] < (active_len - step)[:, None]  # (R, L)
        # first maximum in the current (permuted) order, as the original's scan
        pick = np.where(valid, view[_SCORE], -np.inf).argmax(axis=1)  # (R,)
        top = view[:, row_ids, pick]  # (5, R), a copy
        view[:, row_ids, pick] = view[:, :, 0]
        view[:, :, 0] = top
        picked_rows.append(rows)
        picked.append(top)

        rest = view[:, :, 1:]  # (5, R, L-1)
        if mid_row is None:
            iou = segment_iou(
                top[_X1, :, None], top[_X2, :, None], top[_LENGTH, :, None],
                rest[_X1], rest[_X2], rest[_LENGTH],
            )
        else:  # DIoU <= 0 (centres far apart for the overlap) decays nothing
            iou = np.maximum(segment_diou(
                top[_X1, :, None], top[_X2, :, None], top[_LENGTH, :, None], top[mid_row, :, None],
                rest[_X1], rest[_X2], rest[_LENGTH], rest[mid_row],
            ), 0)
        row_sigma = neg_sigma if sigma_row is None else -top[sigma_row, :, None]  # scalar or (R, 1)
        # -(a * a) / s == (a * a) / -s exactly; exp in float64 then rounded to float32 is the
        # correctly rounded expf of the C code
        decay = np.exp(np.square(iou) / row_sigma, dtype=np.float64).astype(scores.dtype)
        rest[_SCORE] *= decay
        dropped = rest[_SCORE] < min_score_t
        dropped &= valid[:, 1:]
        if dropped.any():
            active_len = step + 1 + _compact(rest, valid[:, 1:] & ~dropped)
    return _gather_kept(picked_rows, picked, num_groups, limit, scores.dtype)


def _gather_kept(
    picked_rows: List[np.ndarray], picked: List[np.ndarray], num_groups: int, limit: int,
    dtype: np.dtype,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-step selections -> (G, K) kept positions and scores, and counts per group."""
    kept_index = np.zeros((num_groups, limit), dtype=np.int64)
    kept_score = np.zeros((num_groups, limit), dtype=dtype)
    kept_count = np.zeros(num_groups, dtype=np.int64)
    for step, (rows, top) in enumerate(zip(picked_rows, picked)):
        kept_index[rows, step] = top[_INDEX].astype(np.int64)
        kept_score[rows, step] = top[_SCORE]
        kept_count[rows] += 1
    return kept_index, kept_score, kept_count


def _compact(rest: np.ndarray, survive: np.ndarray) -> np.ndarray:
    """Remove dropped candidates in place the way the original does; returns survivors per row.

    The original scans forward and fills each dropped slot with the current last candidate
    (dropping that one too if it falls below the threshold). Net effect: survivors in the
    first K slots stay; the holes there, in increasing order, receive the survivors beyond
    slot K in decreasing order. Both lists come out of ``nonzero`` row by row, and each row
    has as many holes as such survivors, so they pair up directly.
    """
    num_survivors = survive.sum(axis=1)  # (R,)
    in_front = np.arange(survive.shape[1])[None, :] < num_survivors[:, None]
    hole_rows, hole_cols = np.nonzero(in_front & ~survive)
    donors_reversed = (~in_front & survive)[:, ::-1]
    donor_rows, donor_cols_rev = np.nonzero(donors_reversed)
    donor_cols = survive.shape[1] - 1 - donor_cols_rev
    rest[:, hole_rows, hole_cols] = rest[:, donor_rows, donor_cols]
    return num_survivors


def hard_nms_packed(
    x1: np.ndarray,
    x2: np.ndarray,
    lengths: np.ndarray,
    iou_threshold: float,
    max_keep: int,
    use_diou: bool = False,
    thresholds: Optional[np.ndarray] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Greedy NMS on G groups at once; each row must already be sorted by descending score.

    A kept segment suppresses the later ones whose IoU (``use_diou``: DIoU) with it is >= the
    threshold: ``iou_threshold``, or with ``thresholds`` (G, N) the kept segment's own entry.
    Returns kept positions (G, K) and kept_count (G,), in order, in ``[:kept_count[g]]``.
    """
    dtype = x1.dtype.type
    num_groups, width = x1.shape
    threshold = dtype(iou_threshold)
    if thresholds is not None:
        thresholds = thresholds.astype(x1.dtype, copy=False)
    length = (x2 - x1) + dtype(_LENGTH_EPS)
    mid = segment_centres(x1, x2) if use_diou else None
    columns = np.arange(width)
    selectable = columns[None, :] < lengths[:, None]  # (G, N)
    limit = width if max_keep <= 0 else min(width, max_keep)
    kept_index = np.zeros((num_groups, limit), dtype=np.int64)
    kept_count = np.zeros(num_groups, dtype=np.int64)
    rows = np.arange(num_groups)
    for step in range(limit):
        has_next = selectable.any(axis=1)
        if not has_next.all():
            rows, x1, x2, length, selectable = (
                rows[has_next], x1[has_next], x2[has_next], length[has_next], selectable[has_next]
            )
            if thresholds is not None:
                thresholds = thresholds[has_next]
            if mid is not None:
                mid = mid[has_next]
            if rows.size == 0:
                break
        row_ids = np.arange(rows.size)
        pick = selectable.argmax(axis=1)  # first selectable slot, (R,)
        kept_index[rows, step] = pick
        kept_count[rows] += 1
        top = (x1[row_ids, pick, None], x2[row_ids, pick, None], length[row_ids, pick, None])
        if mid is None:
            iou = segment_iou(*top, x1, x2, length)
        else:
            iou = segment_diou(*top, mid[row_ids, pick, None], x1, x2, length, mid)
        row_threshold = threshold if thresholds is None else thresholds[row_ids, pick, None]
        # the kept slot and everything before it leave the candidate pool; written as
        # "not >=" so that a NaN IoU suppresses nothing, as in the original
        selectable &= ~(iou >= row_threshold) & (columns[None, :] > pick[:, None])
    return kept_index, kept_count


def _check_inputs(segs: torch.Tensor, scores: torch.Tensor, cls_idxs: torch.Tensor) -> None:
    if segs.ndim != 2 or segs.shape[1] != 2:
        raise ValueError(f"batched_nms: segs must have shape (N, 2), got {tuple(segs.shape)}")
    if scores.shape != (segs.shape[0],) or cls_idxs.shape != (segs.shape[0],):
        raise ValueError(
            "batched_nms: scores and cls_idxs must have shape (N,) with N = segs.shape[0]; got "
            f"segs {tuple(segs.shape)}, scores {tuple(scores.shape)}, cls_idxs {tuple(cls_idxs.shape)}"
        )
    if torch.isnan(scores).any() or torch.isnan(segs).any():
        raise ValueError("batched_nms: NaN in segs or scores (did the model diverge?)")


def _soft_nms_groups(
    segs: torch.Tensor, scores: torch.Tensor, cls_idxs: torch.Tensor,
    groups: List[torch.Tensor], sigma: float, min_score: float, max_keep: int,
    use_diou: bool = False, sigmas: Optional[np.ndarray] = None,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Soft-NMS of each group (a tensor of row indices, in original order); results concatenated.
    ``sigmas``: (N,) per-candidate sigma, or None."""
    dtype = _working_dtype(segs)
    seg_np = segs.numpy().astype(dtype, copy=False)
    score_np = scores.numpy().astype(dtype, copy=False)
    positions = [g.numpy() for g in groups]
    packed_segs, lengths = _pack_groups(seg_np, positions)  # (G, N, 2)
    packed_scores, _ = _pack_groups(score_np, positions)  # (G, N)
    packed_sigmas = None if sigmas is None else _pack_groups(sigmas.astype(dtype), positions, fill=1.0)[0]
    kept, kept_scores, counts = soft_nms_packed(
        packed_segs[..., 0], packed_segs[..., 1], packed_scores, lengths, sigma, min_score, max_keep,
        use_diou=use_diou, sigmas=packed_sigmas,
    )
    rows = np.concatenate([np.full(c, g) for g, c in enumerate(counts)]).astype(np.int64)
    ranks = np.concatenate([np.arange(c) for c in counts]).astype(np.int64)
    local = kept[rows, ranks]
    original = np.concatenate([positions[g][local[rows == g]] for g in range(len(groups))])
    original_t = torch.from_numpy(original.astype(np.int64))
    out_segs = torch.from_numpy(packed_segs[rows, local].copy())
    out_scores = torch.from_numpy(kept_scores[rows, ranks].copy())
    return out_segs, out_scores, cls_idxs[original_t]


def _hard_nms_groups(
    segs: torch.Tensor, scores: torch.Tensor, cls_idxs: torch.Tensor,
    groups: List[torch.Tensor], iou_threshold: float, min_score: float, max_keep: int,
    use_diou: bool = False, thresholds: Optional[np.ndarray] = None,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hard NMS of each group; scores > min_score only (when min_score > 0), as the original.
    ``thresholds``: (N,) per-candidate IoU threshold, or None."""
    ordered = []
    for group in groups:
        if min_score > 0:
            group = group[scores[group] > min_score]
        # the same (unstable) torch sort as the original, so that ties break the same way
        order = torch.sort(scores[group], descending=True)[1]
        ordered.append(group[order].numpy())
    dtype = _working_dtype(segs)
    packed_segs, lengths = _pack_groups(segs.numpy().astype(dtype, copy=False), ordered)
    packed_thresholds = None if thresholds is None else _pack_groups(thresholds.astype(dtype), ordered)[0]
    kept, counts = hard_nms_packed(
        packed_segs[..., 0], packed_segs[..., 1], lengths, iou_threshold, max_keep,
        use_diou=use_diou, thresholds=packed_thresholds,
    )
    original = np.concatenate(
        [ordered[g][kept[g, : counts[g]]] for g in range(len(groups))]
    ).astype(np.int64)
    original_t = torch.from_numpy(original)
    return segs[original_t].clone(), scores[original_t].clone(), cls_idxs[original_t].clone()


def batched_nms(
    segs: torch.Tensor,
    scores: torch.Tensor,
    cls_idxs: torch.Tensor,
    iou_threshold: float,
    min_score: float,
    max_seg_num: int,
    use_soft_nms: bool = True,
    multiclass: bool = True,
    sigma: float = 0.5,
    voting_thresh: float = 0.75,
    use_diou: bool = False,
    class_sigma: Optional[Mapping[int, float]] = None,
    class_iou_threshold: Optional[Mapping[int, float]] = None,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """NMS over temporal segments; the original release's ``batched_nms``, without its C++ op.

    Args:
        segs: (N, 2) segments [start, end] (any unit; feature-grid units in the model).
        scores: (N,) confidence of each segment.
        cls_idxs: (N,) class index of each segment.
        iou_threshold: hard NMS drops segments with IoU >= this against a kept one. Unused
            by soft-NMS (the original's Gaussian decay has no threshold).
        min_score: soft-NMS drops segments whose decayed score falls below it; hard NMS
            keeps only scores > min_score (when min_score > 0).
        max_seg_num: at most this many segments per class, and in total (must be > 0).
        use_soft_nms: Gaussian soft-NMS (True) or hard NMS (False).
        multiclass: NMS within each class independently (True) or across classes (False).
        sigma: soft-NMS Gaussian width: ``score *= exp(-iou**2 / sigma)`` (must be > 0).
        voting_thresh: class-agnostic mode only: when > 0, refine each kept segment by
            score-voting over all input segments with IoU >= voting_thresh (see ``seg_voting``).
        use_diou: DIoU (IoU - (centre distance / enclosing length)^2) replaces IoU in the
            suppression, soft and hard alike (voting keeps IoU).
        class_sigma, class_iou_threshold: {class id: value} overriding ``sigma`` (soft) /
            ``iou_threshold`` (hard) for the classes listed; class-agnostic NMS uses the value
            of each kept segment's class.

    Returns:
        segs (K, 2), scores (K,) and cls_idxs (K,) on the CPU, sorted by descending score.
    """
    if max_seg_num <= 0:
        raise ValueError(f"batched_nms: max_seg_num must be > 0, got {max_seg_num}")
    if use_soft_nms and not sigma > 0:  # exp(-iou**2 / sigma) is NaN or grows otherwise
        raise ValueError(f"batched_nms: soft-NMS sigma must be > 0, got {sigma}")
    if use_soft_nms and class_sigma and not all(v > 0 for v in class_sigma.values()):
        raise ValueError(f"batched_nms: every class_sigma must be > 0, got {dict(class_sigma)}")
    segs, scores, cls_idxs = segs.detach().cpu(), scores.detach().cpu(), cls_idxs.detach().cpu()
    _check_inputs(segs, scores, cls_idxs)
    # the original computes in float32; half / bfloat16 input is widened to it
    if segs.dtype != torch.float64:
        segs = segs.float()
    if scores.dtype != torch.float64:
        scores = scores.float()
    if segs.shape[0] == 0:
        return torch.zeros([0, 2]), torch.zeros([0]), torch.zeros([0], dtype=cls_idxs.dtype)

    if multiclass:
        groups = [torch.where(cls_idxs == c)[0] for c in torch.unique(cls_idxs)]
    else:
        groups = [torch.arange(segs.shape[0])]
    if use_soft_nms:
        sigmas = per_candidate_values(cls_idxs, class_sigma, sigma, "class_sigma")
        new_segs, new_scores, new_cls = _soft_nms_groups(
            segs, scores, cls_idxs, groups, sigma, min_score, max_seg_num, use_diou, sigmas
        )
    else:
        thresholds = per_candidate_values(cls_idxs, class_iou_threshold, iou_threshold, "class_iou_threshold")
        new_segs, new_scores, new_cls = _hard_nms_groups(
            segs, scores, cls_idxs, groups, iou_threshold, min_score, max_seg_num, use_diou, thresholds
        )
    # voting needs many overlapping segments, so the original applies it class-agnostic only
    if not multiclass and voting_thresh > 0:
        new_segs = seg_voting(new_segs, segs, scores, voting_thresh)

    order = new_scores.sort(descending=True)[1][:max_seg_num]
    return new_segs[order], new_scores[order], new_cls[order]
