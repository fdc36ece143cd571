"""actionformer: temporal action localization on pre-extracted video features.

The seed's public names (``make_meta_arch``, ``load_config``, ``ANETdetection``, ...) are
importable from here; they are resolved lazily so that ``import actionformer`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    # config
    "load_config": "actionformer.config",
    "load_default_config": "actionformer.config",
    "validate_config": "actionformer.config",
    "ConfigurationError": "actionformer.config",
    # modeling
    "make_meta_arch": "actionformer.modeling",
    "make_backbone": "actionformer.modeling",
    "make_neck": "actionformer.modeling",
    "make_generator": "actionformer.modeling",
    "load_checkpoint": "actionformer.modeling",
    # the meta-architectures (model_name), for isinstance checks and subclassing
    "LocPointTransformer": "actionformer.modeling.meta_archs",
    "SnapFormer": "actionformer.modeling.meta_archs",
    "TBTFormer": "actionformer.modeling.meta_archs",
    "TriDet": "actionformer.modeling.meta_archs",
    # postprocessing
    "batched_nms": "actionformer.postprocess",
    # data
    "make_dataset": "actionformer.data",
    "make_data_loader": "actionformer.data",
    "truncate_feats": "actionformer.data",
    "worker_init_reset_seed": "actionformer.data",
    # evaluation
    "ANETdetection": "actionformer.evaluation",
    # spotting evaluation (point events)
    "SpottingEvaluator": "actionformer.evaluation.spotting",
    "load_spotting_ground_truth": "actionformer.evaluation.spotting",
    "load_spotting_predictions": "actionformer.evaluation.spotting",
    "write_point_predictions": "actionformer.evaluation.spotting",
    "write_soccernet_predictions": "actionformer.evaluation.spotting",
    # training engine
    "train_one_epoch": "actionformer.engine",
    "valid_one_epoch": "actionformer.engine",
    "save_checkpoint": "actionformer.engine",
    "make_optimizer": "actionformer.engine",
    "make_scheduler": "actionformer.engine",
    "fix_random_seed": "actionformer.engine",
    "ModelEma": "actionformer.engine",
    # configuration advice, training diagnostics, temporal rules (the seed fork's utilities)
    "compute_adaptive_ranges": "actionformer.advice",
    "suggest_config_ranges": "actionformer.advice",
    "LossLogger": "actionformer.engine.loss_logger",
    "TemporalConstraints": "actionformer.postprocess.constraints",
    "enforce_class_constraints": "actionformer.postprocess.constraints",
    "merge_close_detections": "actionformer.postprocess.constraints",
    "load_constraints": "actionformer.postprocess.constraints",
    "apply_constraints_to_results": "actionformer.postprocess.constraints",
    # inference on new videos
    "Detector": "actionformer.inference",
    "Detection": "actionformer.inference",
    # misc
    "Registry": "actionformer.registry",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str) -> Any:
    module_name = _PUBLIC.get(name)
    if module_name is None:
        raise AttributeError(f"module 'actionformer' has no attribute '{name}'")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return __all__
