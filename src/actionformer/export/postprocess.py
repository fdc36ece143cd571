"""Decoding the exported model's outputs in Python: the same ``actionformer.postprocess.detect``
that ``actionformer infer`` runs, fed from the outputs and the export's metadata."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Sequence

import numpy as np
import torch


def load_metadata(exported: "str | os.PathLike[str]") -> Dict[str, Any]:
    """The metadata written beside an exported file (``FILE.json``)."""
    path = os.fspath(exported) + ".json"
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def detect_from_outputs(outputs: Sequence[Any], metadata: Mapping[str, Any], video_meta: Mapping[str, Any],
                        batch_index: int = 0) -> Dict[str, Any]:
    """One video's detections (``segments`` (K, 2) seconds, ``scores``, ``labels``) from the
    exported model's outputs (in its output order) for batch row ``batch_index``.
    ``video_meta``: video_id, fps, duration (s), feat_stride, feat_num_frames."""
    from actionformer.modeling.point_generator import PointGenerator
    from actionformer.postprocess import detect

    levels = len(metadata["fpn_strides"])
    tensors = [torch.as_tensor(np.asarray(o)) for o in outputs]
    cls_logits = [t[batch_index].float() for t in tensors[:levels]]  # per level (T_l, C)
    offsets = [t[batch_index].float() for t in tensors[levels: 2 * levels]]  # per level (T_l, 2)
    masks = [t[batch_index].bool() for t in tensors[2 * levels: 3 * levels]]  # per level (T_l,)
    generator = PointGenerator(0, metadata["fpn_strides"], metadata["regression_range"],
                               use_offset=bool(metadata.get("point_offset", False)))
    points = generator([c.t().unsqueeze(0) for c in cls_logits])
    return detect(points, cls_logits, offsets, masks, video_meta, metadata["test_cfg"])
