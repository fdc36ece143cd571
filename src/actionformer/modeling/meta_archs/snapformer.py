"""SnapFormer: action spotting (point events: a goal, a snap, a click) on ActionFormer's pyramid.

The backbone, neck and point generator are LocPointTransformer's; the heads differ. Every
pyramid level predicts one heatmap channel per class, trained on Gaussian targets centred on the
events with CornerNet's focal loss, and a sub-step offset, so that an event's time is finer
than the level's step. Inference takes per-class local maxima of every level (a max-pool on
the device), merges the levels, suppresses events of a class within a window in seconds and
keeps the top k per video (``actionformer.postprocess.peaks``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import AnyOf, Float, Int, ListOf, Null

from ..registries import HEADS, META_ARCHS
from ..spotting import cornernet_focal_loss, heatmap_targets
from .inputs import DenseOutputs, check_video_list
from .loc_point_transformer import LocPointTransformer, _sum_over_ranks, _training_world_size, video_meta

_NON_NEG = Float(lo=0)
_POS = Float(lo=0, lo_open=True)
Sigma = Union[None, float, Sequence[float]]


def _with_empty_events(video: Dict[str, Any]) -> Dict[str, Any]:
    return {**video, "segments": torch.zeros(0, 2), "labels": torch.zeros(0, dtype=torch.long)}


def _odd(value: object) -> Optional[str]:
    return None if value % 2 == 1 else "must be odd (a centred max-pool window)"


@META_ARCHS.register("SnapFormer")
class SnapFormer(LocPointTransformer):
    """Backbone -> neck -> per level: class heatmaps (B, C, T_l) and sub-step offsets (B, 1, T_l).

    ``forward(video_list)`` returns ``{'heatmap_loss', 'offset_loss', 'final_loss'}`` in training
    mode; in eval mode one ``{'video_id', 'times' (K,) s, 'scores' (K,) in [0, 1], 'labels' (K,)}``
    per video. Ground-truth ``segments`` are read as events at their centres (a point event is
    a zero-length segment). ``heatmap_sigma``: the Gaussian's width in seconds, one value or one
    per class; None = one feature step (the seed fork's).
    """

    task = "spotting"
    config_keys = (
        Key("model.heatmap_sigma", AnyOf(Null(), _POS, ListOf(_POS, min_len=1)), None,
            "SnapFormer: width (sigma, seconds) of the Gaussian heatmap target around each event: one value, "
            "or one per class id; null = one feature step. Never below half a step of a level.", origin=OURS),
        Key("train_cfg.heatmap_pos_radius", Int(lo=0), 1,
            "SnapFormer: steps either side of an event's nearest step (on each level) whose heatmap target "
            "is 1 too; 0 = CornerNet's single positive (see docs/benchmarks.md: 1 learns the classes "
            "faster, offsets keep the time precise).", origin=OURS),
        Key("train_cfg.offset_weight", _NON_NEG, 1.0,
            "SnapFormer: weight of the sub-step offset loss (L1, in steps of the level) against the heatmap "
            "loss; 0 = no offsets (events on the grid).", origin=OURS),
        Key("test_cfg.nms_window", AnyOf(_NON_NEG, ListOf(_NON_NEG, min_len=1)), 2.0,
            "SnapFormer: an event suppresses weaker ones of its class closer than half this window "
            "(seconds); one value, or one per class id; 0 keeps every peak.", origin=OURS),
        Key("test_cfg.score_temperature", _POS, 1.0,
            "Scores are sigmoid(logit / temperature): above 1 flattens them, below 1 sharpens (ranks, "
            "hence mAP, are unchanged).", origin=OURS),
        Key("test_cfg.peak_kernel", Int(lo=1), 3,
            "SnapFormer: a step is a peak when no step within kernel // 2 of it scores higher (odd).",
            check=_odd, origin=OURS),
    )

    def __init__(self, heatmap_sigma: Sigma = None, **kwargs: Any) -> None:
        self.heatmap_sigma = heatmap_sigma
        super().__init__(**kwargs)
        if isinstance(heatmap_sigma, (list, tuple)) and len(heatmap_sigma) != self.num_classes:
            raise ValueError(f"model.heatmap_sigma has {len(heatmap_sigma)} values, one per class needs "
                             f"{self.num_classes}")
        window = self.test_cfg.get("nms_window", 2.0)
        if isinstance(window, (list, tuple)) and len(window) != self.num_classes:
            raise ValueError(f"test_cfg.nms_window has {len(window)} values, one per class needs {self.num_classes}")

    def build_heads(self, fpn_dim: int, head_dim: int, num_layers: int, kernel_size: int, with_ln: bool) -> None:
        """``cls_head``: heatmap logits per class; ``offset_head``: one sub-step offset per step."""
        self.cls_head = HEADS.build(
            self.cls_head_name, fpn_dim, head_dim, self.num_classes, kernel_size=kernel_size,
            prior_prob=self.train_cfg["cls_prior_prob"], with_ln=with_ln, num_layers=num_layers,
            empty_cls=self.train_cfg.get("head_empty_cls") or [],
        )
        # the classification head's tower with one linear output and no prior: a signed offset
        self.offset_head = HEADS.build(
            self.cls_head_name, fpn_dim, head_dim, 1, kernel_size=kernel_size, prior_prob=0.0,
            with_ln=with_ln, num_layers=num_layers,
        )

    def forward_dense(self, feats: torch.Tensor, masks: torch.Tensor) -> DenseOutputs:
        level_feats, level_masks = self.backbone(feats, masks)
        fpn_feats, fpn_masks = self.neck(level_feats, level_masks)
        return DenseOutputs(
            points=self.point_generator(fpn_feats),
            cls_logits=[x.permute(0, 2, 1) for x in self.cls_head(fpn_feats, fpn_masks)],  # (B, T_l, C)
            offsets=[x.squeeze(1) for x in self.offset_head(fpn_feats, fpn_masks)],  # (B, T_l)
            masks=[m.squeeze(1) for m in fpn_masks],  # (B, T_l)
        )

    # ------------------------------------------------------------------ training
    def forward(self, video_list: List[Dict[str, Any]]):
        if self.training:  # a video without events is a negative example, not an error
            video_list = [_with_empty_events(v) if v.get("segments") is None else v for v in video_list]
        check_video_list(video_list, self.training)
        if not self.training:
            return self.inference(video_list)
        feats, masks = self._batch(video_list, self.train_length([v["feats"].shape[-1] for v in video_list]))
        out = self.forward_dense(feats, masks)
        gt_times = [v["segments"].to(self.device).float().mean(dim=-1) for v in video_list]  # (N,) centres
        gt_labels = [v["labels"].to(self.device).long() for v in video_list]
        gt_sigmas = [self.event_sigmas(labels, video) for labels, video in zip(gt_labels, video_list)]
        return self.spotting_losses(out, gt_times, gt_labels, gt_sigmas)

    def event_sigmas(self, labels: torch.Tensor, video: Dict[str, Any]) -> torch.Tensor:
        """(N,) Gaussian widths in feature steps of a video's events (from seconds: fps / stride)."""
        if self.heatmap_sigma is None:
            return torch.ones(labels.shape, device=labels.device)
        per_class = torch.as_tensor(self.heatmap_sigma, dtype=torch.float32, device=labels.device).reshape(-1)
        seconds = per_class[labels] if per_class.numel() > 1 else per_class.expand(labels.shape)
        return seconds * float(video["fps"]) / float(video["feat_stride"])

    def spotting_losses(self, out: DenseOutputs, gt_times: List[torch.Tensor], gt_labels: List[torch.Tensor],
                        gt_sigmas: List[torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Focal heatmap loss over valid steps and L1 offset loss next to events, both divided by
        the number of events on all levels (of the global batch under DDP, as CornerNet)."""
        targets = heatmap_targets(out.points, gt_times, gt_labels, gt_sigmas, self.num_classes,
                                  int(self.train_cfg.get("heatmap_pos_radius", 1)))
        heat_loss = out.cls_logits[0].new_zeros((), dtype=torch.float32)
        offset_loss = heat_loss.clone()
        num_pos = 0
        for logits, offsets, mask, heat, gt_off, off_mask in zip(
                out.cls_logits, out.offsets, out.masks, targets.heat, targets.offsets, targets.offset_mask):
            heat_loss = heat_loss + cornernet_focal_loss(logits[mask], heat[mask])
            num_pos += int((heat[mask] >= 1.0).sum().item())
            chosen = off_mask & mask
            offset_loss = offset_loss + F.l1_loss(offsets[chosen].float(), gt_off[chosen], reduction="sum")
        normalizer = self.event_normalizer(num_pos, heat_loss.device)
        heat_loss, offset_loss = heat_loss / normalizer, offset_loss / normalizer
        final = heat_loss + float(self.train_cfg.get("offset_weight", 1.0)) * offset_loss
        return {"heatmap_loss": heat_loss, "offset_loss": offset_loss, "final_loss": final}

    def event_normalizer(self, num_pos: int, device: torch.device) -> float:
        """The batch's positives (events x levels) over all ranks, divided by the ranks so that
        DDP's gradient average equals the single-process gradient."""
        world_size = _training_world_size()
        total = num_pos if world_size == 1 else _sum_over_ranks(num_pos, device)
        return max(total, 1) / world_size

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def inference(self, video_list: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Events per video, in seconds (videos that pad to the same length run as one batch)."""
        from actionformer.postprocess.peaks import spot_events

        temperature = float(self.test_cfg.get("score_temperature", 1.0))
        return self.decode_in_length_batches(video_list, lambda out, b, video: spot_events(
            [torch.sigmoid(x[b].float() / temperature) for x in out.cls_logits],
            [x[b] for x in out.offsets], [x[b] for x in out.masks], self.fpn_strides,
            video_meta(video), self.test_cfg,
        ))
