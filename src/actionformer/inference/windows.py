"""Long videos in bounded memory: the dense network run window by window, its outputs stitched
back into exactly the outputs of one full-length pass, then decoded once.

Why this is exact (not an approximation with overlap merging): every layer of the dense network
(convolutions, max-pools, local attention, the heads) reads a bounded neighbourhood, so the output
at a step depends only on the inputs within ``reach`` steps of it (the receptive field, measured
once per model by :func:`measure_reach`). A window that extends ``reach`` steps (rounded up to the
model's alignment) past both ends of its *core* therefore gives, on the core, the outputs of the
full-length pass. Windows start at multiples of the alignment (every pyramid stride divides it),
so each level's grid lines up with the full pass's. The last window is padded so that the padding
each level sees past the video's end is what the full pass sees (the rule of
``shortest_equivalent_length``). The stitched per-level outputs go through the model's own
decoding (``actionformer.postprocess.detect``): the same candidates, NMS and seconds.

Memory is then one window's activations, plus the features (T x C) and the dense outputs
(a few numbers per step), instead of the activations of the whole video.

It applies to models that decode with ``detect`` (``LocPointTransformer`` and subclasses that do
not override ``inference``) and without absolute position encoding (interpolated to the full
length, so not translation invariant); other models run full length.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import torch

from actionformer.modeling.meta_archs.inputs import batch_videos, padding_per_level
from actionformer.modeling.meta_archs.loc_point_transformer import LocPointTransformer, video_meta


def can_window(model: torch.nn.Module) -> bool:
    """True for models whose inference is ``forward_dense`` + ``detect`` and translation invariant."""
    return (isinstance(model, LocPointTransformer)
            and type(model).inference is LocPointTransformer.inference
            and not getattr(model, "use_abs_pe", False))


def alignment(model: LocPointTransformer) -> int:
    """Window starts are multiples of this: every stride and the padding multiple divide it."""
    step = 1
    for value in list(model.backbone.strides) + [model.max_div_factor]:
        step = step * int(value) // math.gcd(step, int(value))
    return step


def _batch(model: LocPointTransformer, feats: torch.Tensor, length: int):
    from actionformer.modeling.kernels import time_major_batches

    device = model.device
    return batch_videos([{"feats": feats}], length, device,
                        time_major=model.cpu_kernels and time_major_batches(device))


def _reach_on(model: LocPointTransformer, channels: int, probe: int, align: int) -> Optional[int]:
    """Receptive field measured on a probe of ``probe`` steps; None when it spans the probe."""
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(channels, probe, generator=gen).to(model.device)
    feats.requires_grad_(True)
    masks = torch.ones(1, 1, probe, dtype=torch.bool, device=model.device)
    with torch.enable_grad():  # (batch_videos runs without gradients; one unpadded video needs no copy)
        out = model.forward_dense(feats.unsqueeze(0), masks)  # (1, C, T)
        centre, top = probe // 2 // align * align, max(model.backbone.strides)
        total = 0.0
        for stride, logits, offsets in zip(model.fpn_strides, out.cls_logits, out.offsets):
            lo, hi = centre // stride, (centre + top) // stride  # every phase of the coarsest grid
            total = total + logits[:, lo:hi].float().sum() + offsets[:, lo:hi].float().sum()
        (grad,) = torch.autograd.grad(total, feats)
    touched = (grad.abs().sum(0) > 0).nonzero().flatten()
    first, last = int(touched.min()), int(touched.max())
    if first == 0 or last == probe - 1:
        return None
    return max(centre - first, last - (centre + top - 1))


def measure_reach(model: LocPointTransformer, channels: int, limit: int) -> Optional[int]:
    """Input steps on either side of a step that its dense outputs depend on (the receptive
    field), found from the gradient of the outputs at the centre of a random probe; the probe
    doubles until the field fits in it. None when it does not fit in ``limit`` steps."""
    align = alignment(model)
    probe = 4 * align  # smallest first: the probe keeps its activations for the backward pass
    was_training = model.training
    model.eval()
    try:
        while probe <= limit:
            reach = _reach_on(model, channels, probe, align)
            if reach is not None:
                return reach
            probe *= 2
    finally:
        model.train(was_training)
    return None


def plan_windows(length: int, window: int, margin: int, align: int) -> List[tuple]:
    """(start, end, core_start, core_end) of every window over ``length`` steps: cores tile the
    video; each window adds ``margin`` steps of context on both sides (none past the video)."""
    core = window - 2 * margin
    if core < align:
        raise ValueError(f"window of {window} steps leaves no core after a margin of {margin} on each side")
    core = core // align * align
    plans, core_start = [], 0
    while core_start < length:
        core_end = min(core_start + core, length)
        plans.append((max(0, core_start - margin), min(length, core_end + margin), core_start, core_end))
        core_start = core_end
    return plans


@torch.no_grad()
def windowed_detection(model: LocPointTransformer, video: Dict[str, Any], window: int, margin: int,
                       autocast: Any = None) -> Dict[str, Any]:
    """The detections of one long video (``video['feats']`` (C, T)), window by window (see the
    module docstring); ``margin``: the receptive field rounded up to :func:`alignment`."""
    from actionformer.postprocess import detect

    feats = video["feats"]
    length, align = feats.shape[-1], alignment(model)
    full_padded = model.inference_length(length)
    strides = [int(s) for s in model.fpn_strides]
    pieces: List[List[tuple]] = [[] for _ in strides]
    for start, end, core_start, core_end in plan_windows(length, window, margin, align):
        # the last window ends where the full pass pads: the same padding at every level
        padded = full_padded - start if end == length else model.inference_length(end - start)
        x, masks = _batch(model, feats[:, start:end].contiguous(), padded)  # one window's copy
        with autocast() if autocast is not None else _null():
            out = model.forward_dense(x, masks)
        for level, stride in enumerate(strides):
            lo, hi = (core_start - start) // stride, -(-(core_end - start) // stride)
            pieces[level].append((out.cls_logits[level][0, lo:hi].float().cpu(),
                                  out.offsets[level][0, lo:hi].float().cpu()))
    cls_logits = [torch.cat([p[0] for p in level]) for level in pieces]  # per level (T_l, C)
    offsets = [torch.cat([p[1] for p in level]) for level in pieces]  # per level (T_l, 2)
    points = model.point_generator([torch.empty(1, 0, c.shape[0]) for c in cls_logits])
    masks = [torch.ones(c.shape[0], dtype=torch.bool) for c in cls_logits]
    _check_stitched(cls_logits, length, strides, full_padded)
    return detect(points, cls_logits, offsets, masks, video_meta(video), model.test_cfg)


def _check_stitched(cls_logits: List[torch.Tensor], length: int, strides: List[int], padded: int) -> None:
    """Each level holds exactly the valid steps of a full pass (a planning bug would misalign)."""
    for logits, stride, pad in zip(cls_logits, strides, padding_per_level(length, padded, strides)):
        if logits.shape[0] != padded // stride - pad:
            raise RuntimeError(f"windowed inference: level of stride {stride} has {logits.shape[0]} steps, "
                               f"expected {padded // stride - pad}")


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


__all__ = ["alignment", "can_window", "measure_reach", "plan_windows", "windowed_detection"]
