"""Registries of the post-processing steps: NMS methods and the detection filters after them.

``NMS_METHODS`` entries take one video's candidates on the feature grid and the test config:
``method(segs (N, 2), scores (N,), labels (N,), test_cfg) -> (segs, scores, labels)``, sorted by
descending score. ``DETECTION_FILTERS`` entries take one video's final detections in seconds:
``filter(detection: dict, test_cfg, video_meta) -> dict`` with the same keys (``segments``,
``scores``, ``labels``). Either may declare the config keys it reads (``keys=`` or
``config_keys``); ``test_cfg.nms_method`` and ``test_cfg.filters`` select them.
"""

from __future__ import annotations

from actionformer.registry import Registry

NMS_METHODS: Registry = Registry("NMS method", builtins="actionformer.postprocess.nms_methods")
DETECTION_FILTERS: Registry = Registry("detection filter", builtins="actionformer.postprocess.nms_methods")
