"""LocPointTransformer: the ActionFormer single-stage temporal action localizer."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import Bool, Registered, Str

from ..backbones import BackboneSpec
from ..kernels import time_major_batches, use_cpu_kernels
from ..losses import offsets_iou
from ..registries import ASSIGNERS, BACKBONES, CLS_LOSSES, GENERATORS, HEADS, META_ARCHS, NECKS, REG_LOSSES
from .base import MetaArch
from .diagnostics import point_diagnostics
from .inputs import (
    DenseOutputs, batch_videos, check_video_list, kernel_reach, padded_length, shortest_equivalent_length,
)

IntOrList = Union[int, Sequence[int]]


def max_div_factor(fpn_strides: Sequence[int], mha_win_size: Sequence[int]) -> int:
    """The multiple every padded input length must be of: per level its stride, times the local
    attention window's chunk (2 * (w // 2)) where the original's sliding-chunk attention needs it."""
    factor = 1
    for s, w in zip(fpn_strides, mha_win_size):
        factor = max(factor, s * (w // 2) * 2 if w > 1 else s)
    return factor


def _windows_per_level(n_mha_win_size: IntOrList, num_levels: int) -> List[int]:
    if isinstance(n_mha_win_size, int):
        return [n_mha_win_size] * num_levels
    windows = list(n_mha_win_size)
    if len(windows) != num_levels:
        raise ValueError(f"n_mha_win_size needs {num_levels} entries (one per level), got {windows}")
    return windows


def _check_train_cfg(train_cfg: Dict[str, Any]) -> None:
    if train_cfg["center_sample"] not in ("radius", "none"):
        raise ValueError(f"train_cfg.center_sample must be 'radius' or 'none', got {train_cfg['center_sample']!r}")


_REGISTRIES = "actionformer.modeling.registries"


@META_ARCHS.register("LocPointTransformer")
class LocPointTransformer(MetaArch):
    """Backbone -> neck -> point generator + classification / regression heads.

    ``forward(video_list)`` returns ``{'cls_loss', 'reg_loss', 'final_loss'}`` in training mode
    and, in eval mode, one ``{'video_id', 'segments' (K, 2) s, 'scores' (K,), 'labels' (K,)}``
    per video. The constructor takes the original release's ``model`` config keys, plus
    ``backbone``: options for the backbone (see ``BackboneSpec.options``), and ``cpu_kernels``:
    whether layers run the CPU kernels of ``actionformer.modeling.kernels`` on CPU inputs
    (decided here, once per model; on other devices, or with ``cpu_kernels=False`` — the
    original-style reference model — every layer runs its standard formulation).

    A subclass changes one step by overriding it: ``build_heads`` (the heads), ``forward_dense``
    (the dense outputs), ``assign_targets`` (which ground truth each point learns),
    ``compute_losses`` (the loss terms) or ``inference``; the registered parts are looked up by name (``cls_head_name``,
    ``reg_head_name``, ``assigner_name``, ``train_cfg.cls_loss_type`` / ``reg_loss_type``).
    """

    task = "detection"
    cls_head_name = "cls"
    reg_head_name = "reg"
    # the heads of ``model.head_type: v2`` (residual towers with an input projection)
    cls_head_v2_name = "cls_v2"
    reg_head_v2_name = "reg_v2"
    assigner_name = "center_point"
    config_keys = (
        Key("train_cfg.cls_loss_type", Registered(f"{_REGISTRIES}:CLS_LOSSES"), "focal",
            "Registered classification loss: `focal` (sigmoid focal loss, the original's) or "
            "`quality_focal` (Generalized Focal Loss: the positive target is the IoU of the "
            "predicted segment).", origin=OURS),
        Key("train_cfg.reg_loss_type", Registered(f"{_REGISTRIES}:REG_LOSSES"), "diou",
            "Registered regression loss on the centre-anchored offsets: `diou` (the original's), "
            "`giou`, `iou` (both 1 - IoU here) or `eiou` (DIoU plus a length-gap term).",
            origin=OURS),
        Key("model.head_type", Str(choices=["v1", "v2"]), "v1",
            "Classification / regression heads: `v1` (the original's conv towers) or `v2` (a 1x1 "
            "input projection and a residual connection around every pair of convs; new "
            "parameters, so v1 checkpoints need `v1`).", origin=OURS),
        Key("model.cpu_kernels", Bool(), True,
            "Run the CPU kernels of `modeling/kernels` (Winograd convolutions, joined heads, "
            "time-major memory) on CPU inputs; same results up to rounding. false = the standard "
            "formulation everywhere (the original-style reference). Other devices always run the "
            "standard one.", origin=OURS),
    )

    def __init__(
        self,
        backbone_type: str,
        fpn_type: str,
        backbone_arch: Sequence[int],
        scale_factor: int,
        input_dim: IntOrList,
        max_seq_len: int,
        max_buffer_len_factor: float,
        n_head: int,
        n_mha_win_size: IntOrList,
        embd_kernel_size: int,
        embd_dim: IntOrList,
        embd_with_ln: bool,
        fpn_dim: int,
        fpn_with_ln: bool,
        fpn_start_level: int,
        head_dim: int,
        regression_range: Sequence[Sequence[float]],
        head_num_layers: int,
        head_kernel_size: int,
        head_with_ln: bool,
        use_abs_pe: bool,
        use_rel_pe: bool,
        num_classes: int,
        train_cfg: Dict[str, Any],
        test_cfg: Dict[str, Any],
        backbone: Optional[Dict[str, Any]] = None,
        cpu_kernels: bool = True,
        head_type: str = "v1",
    ) -> None:
        super().__init__()
        if head_type not in ("v1", "v2"):
            raise ValueError(f"model.head_type must be 'v1' or 'v2', got {head_type!r}")
        self.head_type = head_type
        num_levels = backbone_arch[-1] + 1
        self.mha_win_size = _windows_per_level(n_mha_win_size, num_levels)
        self.reg_range = [tuple(r) for r in regression_range]
        if len(self.reg_range) != num_levels - fpn_start_level:
            raise ValueError(
                f"regression_range has {len(self.reg_range)} entries but the pyramid has "
                f"{num_levels - fpn_start_level} levels (backbone_arch[-1] + 1 - fpn_start_level)"
            )
        _check_train_cfg(train_cfg)
        self.train_cfg = dict(train_cfg)
        self.test_cfg = dict(test_cfg)
        self.scale_factor = scale_factor
        self.use_abs_pe = use_abs_pe
        self.num_classes = num_classes
        self.max_seq_len = max_seq_len

        spec = BackboneSpec(
            input_dim=input_dim, embd_dim=embd_dim, n_head=n_head, embd_kernel_size=embd_kernel_size,
            max_seq_len=max_seq_len, arch=tuple(backbone_arch), mha_win_size=self.mha_win_size,
            scale_factor=scale_factor, embd_with_ln=embd_with_ln, dropout=train_cfg["dropout"],
            droppath=train_cfg["droppath"], use_abs_pe=use_abs_pe, use_rel_pe=use_rel_pe,
            options=dict(backbone or {}),
        )
        self.backbone = BACKBONES.get(backbone_type).from_spec(spec)
        self.fpn_strides = list(self.backbone.strides[fpn_start_level:])
        self.max_div_factor = max_div_factor(self.backbone.strides, self.mha_win_size)
        if max_seq_len % self.max_div_factor != 0:
            raise ValueError(
                f"max_seq_len {max_seq_len} must be divisible by {self.max_div_factor} "
                "(the largest pyramid stride times the attention window chunk)"
            )
        self.neck = NECKS.build(
            fpn_type, in_channels=[self.backbone.out_channels] * len(self.backbone.strides),
            out_channel=fpn_dim, scale_factor=scale_factor, start_level=fpn_start_level, with_ln=fpn_with_ln,
        )
        self.point_generator = GENERATORS.build(
            "point", max_seq_len=max_seq_len * max_buffer_len_factor,
            fpn_strides=self.fpn_strides, regression_range=self.reg_range,
        )
        self.build_heads(fpn_dim, head_dim, head_num_layers, head_kernel_size, head_with_ln)
        self.assigner = ASSIGNERS.get(self.assigner_name)
        self.cls_loss = CLS_LOSSES.get(self.train_cfg.get("cls_loss_type", "focal")).from_config(self.train_cfg)
        self.reg_loss = REG_LOSSES.get(self.train_cfg.get("reg_loss_type", "diou")).from_config(self.train_cfg)
        # an EMA of the number of positive points normalises the losses (stable for small batches)
        self.loss_normalizer = float(train_cfg["init_loss_norm"])
        self.loss_normalizer_momentum = 0.9
        # how far past a valid step any layer reads: what the shortened padding must preserve
        self.kernel_reach = kernel_reach(self)
        self.cpu_kernels = bool(cpu_kernels)
        if self.cpu_kernels:
            use_cpu_kernels(self)

    def build_heads(self, fpn_dim: int, head_dim: int, num_layers: int, kernel_size: int, with_ln: bool) -> None:
        """``self.cls_head`` and ``self.reg_head`` (the original's parameter names)."""
        cls_name, reg_name = self.head_names()
        self.cls_head = HEADS.build(
            cls_name, fpn_dim, head_dim, self.num_classes, kernel_size=kernel_size,
            prior_prob=self.train_cfg["cls_prior_prob"], with_ln=with_ln, num_layers=num_layers,
            empty_cls=self.train_cfg.get("head_empty_cls") or [],
        )
        self.reg_head = HEADS.build(
            reg_name, fpn_dim, head_dim, len(self.fpn_strides), kernel_size=kernel_size,
            num_layers=num_layers, with_ln=with_ln,
        )

    def head_names(self) -> Tuple[str, str]:
        """Registered names of the classification and regression heads for ``head_type``."""
        if self.head_type == "v2":
            return self.cls_head_v2_name, self.reg_head_v2_name
        return self.cls_head_name, self.reg_head_name

    def training_state(self) -> Dict[str, Any]:
        return {"loss_normalizer": self.loss_normalizer}

    def load_training_state(self, state: Dict[str, Any]) -> None:
        if "loss_normalizer" in state:
            self.loss_normalizer = float(state["loss_normalizer"])

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # ------------------------------------------------------------------ forward
    def forward(self, video_list: List[Dict[str, Any]]):
        check_video_list(video_list, self.training)
        if self.training:
            length = self.train_length([v["feats"].shape[-1] for v in video_list])
            feats, masks = self._batch(video_list, length)
            out = self.forward_dense(feats, masks)
            gt_segments = [v["segments"].to(self.device) for v in video_list]
            gt_labels = [v["labels"].to(self.device) for v in video_list]
            return self.losses(out, gt_segments, gt_labels)
        return self.inference(video_list)

    def _batch(self, videos: Sequence[Dict[str, Any]], length: int):
        device = self.device
        return batch_videos(videos, length, device, time_major=self.cpu_kernels and time_major_batches(device))

    def forward_dense(self, feats: torch.Tensor, masks: torch.Tensor) -> DenseOutputs:
        """Batched features (B, C, T) and masks (B, 1, T) -> per-level dense predictions."""
        level_feats, level_masks = self.backbone(feats, masks)
        fpn_feats, fpn_masks = self.neck(level_feats, level_masks)
        points = self.point_generator(fpn_feats)
        cls_logits = self.cls_head(fpn_feats, fpn_masks)  # per level (B, num_classes, T_l)
        offsets = self.reg_head(fpn_feats, fpn_masks)  # per level (B, 2, T_l)
        return DenseOutputs(
            points=points,
            cls_logits=[x.permute(0, 2, 1) for x in cls_logits],  # (B, T_l, num_classes)
            offsets=[x.permute(0, 2, 1) for x in offsets],  # (B, T_l, 2)
            masks=[m.squeeze(1) for m in fpn_masks],  # (B, T_l)
        )

    # ------------------------------------------------------------------ training
    def losses(
        self, out: DenseOutputs, gt_segments: List[torch.Tensor], gt_labels: List[torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Targets for every point, the running normaliser, then the loss terms."""
        gt_cls, gt_offsets = self.assign_targets(out, gt_segments, gt_labels)
        valid = torch.cat(out.masks, dim=1)  # (B, P)
        pos = (gt_cls.sum(-1) > 0) & valid  # (B, P)
        normalizer = self.update_loss_normalizer(int(pos.sum().item()), pos.device)
        if getattr(self, "_record_diagnostics", False):  # for the LossLogger; not a loss
            self._last_diagnostics = point_diagnostics(
                [x.shape[1] for x in out.offsets], torch.cat(out.offsets, dim=1), gt_offsets, pos)
        return self.compute_losses(out, gt_cls, gt_offsets, valid, pos, normalizer)

    def assign_targets(
        self, out: DenseOutputs, gt_segments: List[torch.Tensor], gt_labels: List[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Class targets (B, P, C) and offset targets (B, P, 2) of every point (P over all levels)."""
        cfg = self.train_cfg
        gt_cls, gt_offsets = self.assigner(
            out.points, gt_segments, gt_labels, self.num_classes,
            cfg["center_sample"], cfg["center_sample_radius"],
        )
        return torch.stack(gt_cls), torch.stack(gt_offsets)

    def update_loss_normalizer(self, num_pos: int, device: torch.device) -> float:
        """The divisor of the summed losses: an EMA of the number of positives (in training)."""
        if not self.training:
            return self.loss_normalizer
        world_size = _training_world_size()
        # DDP averages the ranks' gradients; counting positives over the whole global batch and
        # dividing by normalizer / world_size makes that average the single-process gradient
        total_pos = num_pos if world_size == 1 else _sum_over_ranks(num_pos, device)
        m = self.loss_normalizer_momentum
        self.loss_normalizer = m * self.loss_normalizer + (1 - m) * max(total_pos, 1)
        return self.loss_normalizer / world_size

    def compute_losses(
        self, out: DenseOutputs, gt_cls: torch.Tensor, gt_offsets: torch.Tensor, valid: torch.Tensor,
        pos: torch.Tensor, normalizer: float,
    ) -> Dict[str, torch.Tensor]:
        """``cls_loss`` over valid points, ``reg_loss`` over positive ones, ``final_loss``.

        The two terms come from ``classification_loss`` and ``regression_loss``, which a subclass
        overrides separately (and so keeps the other's options: quality focal, EIoU, ...)."""
        cls_loss = self.classification_loss(out, gt_cls, gt_offsets, valid, pos, normalizer)
        reg_loss = self.regression_loss(out, gt_offsets, pos, normalizer)
        cfg = self.train_cfg
        if cfg["loss_weight"] > 0:
            loss_weight = cfg["loss_weight"]
        else:  # auto-balance: scale the regression loss to the size of the classification loss
            loss_weight = cls_loss.detach() / max(reg_loss.item(), 0.01)
        return {"cls_loss": cls_loss, "reg_loss": reg_loss, "final_loss": cls_loss + reg_loss * loss_weight}

    def classification_loss(
        self, out: DenseOutputs, gt_cls: torch.Tensor, gt_offsets: torch.Tensor, valid: torch.Tensor,
        pos: torch.Tensor, normalizer: float,
    ) -> torch.Tensor:
        """``train_cfg.cls_loss_type`` over the valid points, label smoothing applied, divided by
        ``normalizer``. A loss that wants quality targets (``quality_focal``) sees the detached
        IoU of each positive point's predicted segment in place of its one-hot 1."""
        target = gt_cls
        if getattr(self.cls_loss, "wants_quality_targets", False):
            target = gt_cls.to(torch.float32, copy=True)  # (B, P, C), a copy to write the IoU into
            target[pos] = target[pos] * self.positive_iou(out, gt_offsets, pos).unsqueeze(-1)
        smoothing = self.train_cfg.get("label_smoothing", 0.0)
        target = target[valid] * (1 - smoothing) + smoothing / (self.num_classes + 1)
        return self.cls_loss(torch.cat(out.cls_logits, dim=1)[valid], target) / normalizer

    def regression_loss(
        self, out: DenseOutputs, gt_offsets: torch.Tensor, pos: torch.Tensor, normalizer: float,
    ) -> torch.Tensor:
        """``train_cfg.reg_loss_type`` over the positive points, divided by ``normalizer``."""
        pred_offsets = torch.cat(out.offsets, dim=1)[pos]  # (#pos, 2)
        if pred_offsets.shape[0] == 0:
            return 0 * pred_offsets.sum()
        return self.reg_loss(pred_offsets, gt_offsets[pos]) / normalizer

    @staticmethod
    def positive_iou(out: DenseOutputs, gt_offsets: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """IoU (#pos,) of each positive point's predicted segment with its ground truth, in
        float32 and detached: a training target or a statistic, never a gradient path. Points are
        ordered as ``pos.nonzero()`` (videos, then levels, then time)."""
        pred_offsets = torch.cat(out.offsets, dim=1)[pos].detach()  # (#pos, 2)
        return offsets_iou(pred_offsets, gt_offsets[pos].detach())

    # ------------------------------------------------------------------ inference
    def train_length(self, lengths: Sequence[int]) -> int:
        """Padded length of a training batch: the original pads to max_seq_len; we pad less
        when every video is shorter, with identical losses (``shortest_equivalent_length``)."""
        return shortest_equivalent_length(max(lengths), self.max_seq_len, self.backbone.strides, self.kernel_reach)

    def inference_length(self, length: int) -> int:
        """Padded length of one video at inference: the original's (max_seq_len, or beyond it
        the next multiple of max_div_factor), shortened where that leaves the predictions
        unchanged. With absolute position encoding and a video longer than max_seq_len the
        encoding is interpolated to the padded length, so the original's length is kept."""
        original = padded_length(length, self.max_seq_len, self.max_div_factor)
        if self.use_abs_pe and length > self.max_seq_len:
            return original
        return shortest_equivalent_length(length, original, self.backbone.strides, self.kernel_reach)

    @torch.no_grad()
    def inference(self, video_list: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Detections per video (see ``inference_length`` for padding); videos that pad to the
        same length run as one batch, which leaves every result unchanged."""
        from actionformer.postprocess import detect

        return self.decode_in_length_batches(video_list, lambda out, b, video: detect(
            out.points,
            [x[b] for x in out.cls_logits],
            [x[b] for x in out.offsets],
            [x[b] for x in out.masks],
            video_meta(video),
            self.test_cfg,
        ))

    def decode_in_length_batches(
        self, video_list: List[Dict[str, Any]],
        decode: Callable[[DenseOutputs, int, Dict[str, Any]], Dict[str, Any]],
    ) -> List[Dict[str, Any]]:
        """``decode(out, b, video)`` of every video, in ``video_list``'s order: the videos that pad
        to the same ``inference_length`` run through ``forward_dense`` as one batch, ``b`` being
        the video's row in it."""
        groups: Dict[int, List[int]] = {}
        for idx, video in enumerate(video_list):
            groups.setdefault(self.inference_length(video["feats"].shape[-1]), []).append(idx)
        results: List[Optional[Dict[str, Any]]] = [None] * len(video_list)
        for length, indices in groups.items():
            videos = [video_list[i] for i in indices]
            feats, masks = self._batch(videos, length)
            out = self.forward_dense(feats, masks)
            for b, (i, video) in enumerate(zip(indices, videos)):
                results[i] = decode(out, b, video)
        return results  # type: ignore[return-value]


def video_meta(video: Dict[str, Any]) -> Dict[str, Any]:
    keys = ("video_id", "fps", "duration", "feat_stride", "feat_num_frames")
    return {k: video[k] for k in keys}


def _training_world_size() -> int:
    """Processes of the initialized process group (1 outside distributed training)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def _sum_over_ranks(count: int, device: torch.device) -> int:
    total = torch.tensor([count], dtype=torch.int64, device=device)
    dist.all_reduce(total)
    return int(total.item())
