"""Training targets and losses of point-event (action spotting) models: Gaussian heatmaps per
class and pyramid level, CornerNet's focal loss on them, and sub-step offsets.

Times are on the input feature grid (feature-step units); level ``l`` has points
``0, s_l, 2 s_l, ...`` (``s_l`` its stride). All functions are vectorised over events and steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence

import torch


@dataclass
class HeatmapTargets:
    """Per level: heat (B, T_l, C) in [0, 1], exactly 1 at each event's nearest step (and
    ``pos_radius`` steps either side);
    offsets (B, T_l) the event time minus the step's time, in units of the level's stride;
    offset_mask (B, T_l) where an offset target is defined (the steps next to an event)."""

    heat: List[torch.Tensor]
    offsets: List[torch.Tensor]
    offset_mask: List[torch.Tensor]


def level_sigma(sigma_grid: torch.Tensor, stride: float) -> torch.Tensor:
    """The Gaussian's width on a level of stride ``stride``: the event's own width (feature
    steps) but never below half a step of that level, so that a coarse level still sees a peak
    and its neighbours a soft negative."""
    return sigma_grid.clamp(min=0.5 * stride)


def heatmap_targets(
    points_per_level: Sequence[torch.Tensor],
    gt_times: Sequence[torch.Tensor],
    gt_labels: Sequence[torch.Tensor],
    gt_sigmas: Sequence[torch.Tensor],
    num_classes: int,
    pos_radius: int = 0,
) -> HeatmapTargets:
    """Targets of a batch.

    ``points_per_level``: per level (T_l, 4) rows [t, lo, hi, stride] (``PointGenerator``);
    ``gt_times`` / ``gt_labels`` / ``gt_sigmas``: per video (N,) event times (feature steps),
    class ids and Gaussian widths (feature steps). ``pos_radius``: steps either side of an event's
    nearest step whose target is 1 too (0 = CornerNet's single positive). An event is a target of the first level and
    of the levels whose stride is at most its sigma (elsewhere it is background: a coarse level
    answers for wide events only). Overlapping Gaussians of one class keep their maximum, as
    CornerNet's.
    """
    times, labels, sigmas, valid = _pad_events(gt_times, gt_labels, gt_sigmas, points_per_level[0])
    heat, offsets, offset_mask = [], [], []
    for level, points in enumerate(points_per_level):
        stride = float(points[0, 3]) if points.shape[0] else 1.0
        # scale assignment: an event lives on the first level and on every level whose step is
        # at most its width; a coarser level could not place it within its sigma
        own = valid & ((sigmas >= stride) | (level == 0))  # (B, N)
        h, o, m = _level_targets(points.shape[0], stride, times, labels, sigmas, own, num_classes, pos_radius)
        heat.append(h)
        offsets.append(o)
        offset_mask.append(m)
    return HeatmapTargets(heat, offsets, offset_mask)


def _pad_events(gt_times: Sequence[torch.Tensor], gt_labels: Sequence[torch.Tensor],
                gt_sigmas: Sequence[torch.Tensor], like: torch.Tensor):
    """The videos' events padded to one (B, N) tensor each, with ``valid`` (B, N) marking real ones."""
    count = max([int(x.numel()) for x in gt_times] + [1])
    batch = len(gt_times)
    times = like.new_zeros((batch, count))
    sigmas = like.new_ones((batch, count))
    labels = torch.zeros((batch, count), dtype=torch.long, device=like.device)
    valid = torch.zeros((batch, count), dtype=torch.bool, device=like.device)
    for b, (t, lab, sig) in enumerate(zip(gt_times, gt_labels, gt_sigmas)):
        n = int(t.numel())
        times[b, :n], labels[b, :n], sigmas[b, :n], valid[b, :n] = t.to(times), lab.long(), sig.to(times), True
    return times, labels, sigmas, valid


def _level_targets(num_steps: int, stride: float, times: torch.Tensor, labels: torch.Tensor, sigmas: torch.Tensor,
                   own: torch.Tensor, num_classes: int, pos_radius: int):
    """Heat (B, T, C), offsets (B, T) and offset mask (B, T) of one level from the padded events
    (B, N); ``own``: the events this level learns."""
    batch = times.shape[0]
    steps = torch.arange(num_steps, device=times.device, dtype=times.dtype)  # (T,)
    heat = times.new_zeros((batch, num_steps, num_classes))
    if num_steps == 0 or not bool(own.any()):
        return heat, times.new_zeros((batch, num_steps)), torch.zeros_like(heat[..., 0], dtype=torch.bool)
    distance = times[:, None, :] / stride - steps[None, :, None]  # (B, T, N), in steps of this level
    gauss = torch.exp(-0.5 * (distance * stride / level_sigma(sigmas, stride)[:, None, :]) ** 2)  # (B, T, N)
    onehot = torch.nn.functional.one_hot(labels, num_classes).to(times) * own[..., None]  # (B, N, C)
    heat = (gauss[..., None] * onehot[:, None]).amax(dim=2)  # (B, T, N, C) -> (B, T, C)
    # the peak is exactly 1 (CornerNet's positives), and so are ``pos_radius`` steps either side:
    # a few positives per event learn the classes faster than one, offsets keep the time precise
    video, event = own.nonzero(as_tuple=True)
    nearest = (times[video, event] / stride).round().long()
    for shift in range(-pos_radius, pos_radius + 1):
        heat[video, (nearest + shift).clamp(0, num_steps - 1), labels[video, event]] = 1.0
    # offsets on the event's nearest step and its two neighbours, so that a peak found one step
    # off still regresses to the event
    near = (distance.abs() <= 1.0) & own[:, None, :]  # (B, T, N)
    closest = torch.where(near, distance.abs(), torch.full_like(distance, float("inf"))).argmin(dim=2)  # (B, T)
    mask = near.any(dim=2)
    offsets = torch.where(mask, distance.gather(2, closest[..., None]).squeeze(2), times.new_zeros(()))
    return heat, offsets, mask


def cornernet_focal_loss(logits: torch.Tensor, heat: torch.Tensor, alpha: float = 2.0,
                         beta: float = 4.0) -> torch.Tensor:
    """Summed focal loss of CornerNet (Law & Deng, 2018) on logits and Gaussian targets, in
    float32: ``-(1 - p)^alpha log p`` where the target is 1, ``-(1 - y)^beta p^alpha log(1 - p)``
    elsewhere (soft negatives near an event count less)."""
    logits, heat = logits.float(), heat.float()
    log_p = torch.nn.functional.logsigmoid(logits)
    log_not_p = torch.nn.functional.logsigmoid(-logits)
    p = log_p.exp()
    positive = heat >= 1.0
    pos_loss = (1 - p) ** alpha * log_p
    neg_loss = (1 - heat) ** beta * p ** alpha * log_not_p
    return -torch.where(positive, pos_loss, neg_loss).sum()
