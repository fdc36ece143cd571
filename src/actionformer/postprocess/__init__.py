"""Everything after the model's heads at inference: decoding, NMS, voting, seconds, score fusion.

Plain functions on tensors, numerically identical to the original ActionFormer release and
free of its compiled extension. See docs/postprocessing.md.
"""

from actionformer.postprocess.class_params import resolve_class_tables
from actionformer.postprocess.decode import decode_candidates, decode_level
from actionformer.postprocess.detect import detect
from actionformer.postprocess.registries import DETECTION_FILTERS, NMS_METHODS
from actionformer.postprocess.ext_scores import fuse_external_scores, load_external_scores
from actionformer.postprocess.nms import batched_nms, hard_nms_packed, soft_nms_packed
from actionformer.postprocess.seconds import grid_to_seconds
from actionformer.postprocess.voting import pairwise_iou_1d, seg_voting

__all__ = [
    "DETECTION_FILTERS",
    "NMS_METHODS",
    "batched_nms",
    "decode_candidates",
    "decode_level",
    "detect",
    "fuse_external_scores",
    "grid_to_seconds",
    "hard_nms_packed",
    "load_external_scores",
    "pairwise_iou_1d",
    "resolve_class_tables",
    "seg_voting",
    "soft_nms_packed",
]
