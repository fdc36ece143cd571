"""The part of a model that is exported: the dense network (backbone, neck, heads) as one module
with plain tensor inputs and outputs, and the input length rule its graph needs.

Inputs (one video per call): ``feats`` (1, C, T) float32 and ``masks`` (1, 1, T) bool (True =
valid step), T a multiple of :func:`length_multiple`. Outputs, per pyramid level l:
``cls_logits_l`` (1, T_l, num_classes), ``offsets_l`` (1, T_l, 2), ``masks_l`` (1, T_l).
Decoding (points, candidates, NMS, seconds) stays in Python: :func:`actionformer.export.detect_from_outputs`.
"""

from __future__ import annotations

import math
from typing import List, Tuple

import numpy as np
import torch
from torch import nn


class DenseNetwork(nn.Module):
    """``model.forward_dense`` with tensors in and a flat tuple of tensors out (exportable)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.num_levels = len(model.fpn_strides)

    def output_names(self) -> List[str]:
        return [f"{kind}_{level}" for kind in ("cls_logits", "offsets", "masks") for level in range(self.num_levels)]

    def forward(self, feats: torch.Tensor, masks: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        out = self.model.forward_dense(feats, masks)
        return tuple(out.cls_logits) + tuple(out.offsets) + tuple(out.masks)


def _attention_block(window: int) -> int:
    """Queries per block of the local attention (``layers.local_attention``'s default)."""
    half = window // 2
    return max(2 * half, 16)


def length_multiple(model: nn.Module) -> int:
    """Input lengths the exported graph is valid for are multiples of this: every level's length
    is then a multiple of its stride and of its attention block, so no shape-dependent branch of
    the network (taken once while tracing) changes with the length."""
    multiple = int(model.max_div_factor)
    for stride, window in zip(model.backbone.strides, model.mha_win_size):
        need = int(stride) * (_attention_block(int(window)) if int(window) > 1 else 1)
        multiple = multiple * need // math.gcd(multiple, need)
    return multiple


def pad_features(feats: np.ndarray, multiple: int, layout: str = "TC") -> Tuple[np.ndarray, np.ndarray]:
    """One video's features -> the exported model's inputs: feats (1, C, L) float32 zero-padded
    to L, the next multiple of ``multiple``, and masks (1, 1, L) bool."""
    arr = np.asarray(feats, dtype=np.float32)
    arr = arr.T if layout == "TC" else arr  # (C, T)
    length = arr.shape[1]
    padded = max(multiple, -(-length // multiple) * multiple)
    x = np.zeros((1, arr.shape[0], padded), dtype=np.float32)
    x[0, :, :length] = arr
    mask = np.zeros((1, 1, padded), dtype=bool)
    mask[..., :length] = True
    return x, mask
