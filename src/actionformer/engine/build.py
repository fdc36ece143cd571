"""From a resolved config to the run's parts: datasets, model, evaluator, experiment folder.

Shared by ``actionformer train``, ``actionformer eval`` and the demo; follows the original's
train.py / eval.py (``head_empty_cls`` filled from the training set, EMA weights evaluated).
"""

from __future__ import annotations

import datetime
import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .logging import LOGGER_NAME
from .results_io import clean_metrics


def config_name(config_path: str) -> str:
    name = Path(config_path).name
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def experiment_dir(cfg: Mapping[str, Any], config_path: str, output: Optional[str], resume_latest: bool = False) -> Path:
    """``<output_folder>/<config name>_<output>``; without ``output`` a time stamp, or with
    ``resume_latest`` the newest existing folder of this config (a torchrun restart)."""
    root = Path(str(cfg.get("output_folder") or "./ckpt"))
    prefix = config_name(config_path)
    if output:
        return root / f"{prefix}_{output}"
    if resume_latest and root.is_dir():
        candidates = sorted((p for p in root.glob(f"{prefix}_*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
        if candidates:
            return candidates[-1]
    stamp = datetime.datetime.fromtimestamp(int(time.time())).strftime("%Y-%m-%d_%H-%M-%S")
    return root / f"{prefix}_{stamp}"


def build_dataset(cfg: Mapping[str, Any], is_training: bool, split: Sequence[str]) -> Any:
    from actionformer.data import make_dataset

    return make_dataset(cfg["dataset_name"], is_training, list(split), **dict(cfg.get("dataset") or {}))


def build_model(cfg: Dict[str, Any], empty_label_ids: Optional[List[int]] = None) -> Any:
    """The meta-architecture; ``train_cfg.head_empty_cls`` comes from the training set (as the original)."""
    from actionformer.modeling import make_meta_arch

    if empty_label_ids is not None:
        cfg["model"].setdefault("train_cfg", {})["head_empty_cls"] = list(empty_label_ids)
    return make_meta_arch(cfg["model_name"], **cfg["model"])


def label_names(dataset: Any) -> Dict[int, str]:
    """Label id -> class name of a dataset (empty when it has no ``label_dict``)."""
    return {int(v): str(k) for k, v in (getattr(dataset, "label_dict", None) or {}).items()}


class MapEvaluator:
    """Detection mAP of a dataset's ground truth; logs the original's table after each evaluation."""

    def __init__(self, val_dataset: Any, split: Sequence[str], dataset_name: Optional[str] = None) -> None:
        from actionformer.evaluation import ANETdetection, default_tiou_thresholds

        attrs = val_dataset.get_attributes() if hasattr(val_dataset, "get_attributes") else {}
        thresholds = attrs.get("tiou_thresholds")
        if thresholds is None:
            thresholds = default_tiou_thresholds(dataset_name or "thumos")
        self.detector = ANETdetection(val_dataset.to_activitynet_json(), split=list(split),
                                      tiou_thresholds=np.asarray(thresholds, dtype=np.float64),
                                      dataset_name=attrs.get("dataset_name") or dataset_name)
        self.result: Any = None

    def evaluate(self, detections: List[Dict[str, Any]]) -> Tuple[Any, float]:
        mean_aps, average, _ = self.detector.evaluate(detections, verbose=False)
        self.result = self.detector.result
        logger = logging.getLogger(LOGGER_NAME)
        for message in self.result.warnings:
            logger.warning("Warning: %s", message)
        logger.info(self.report())
        return mean_aps, float(average)

    def report(self) -> str:
        from actionformer.evaluation import format_report

        return format_report(self.result) if self.result is not None else ""

    def metrics(self) -> Dict[str, Any]:
        return clean_metrics(self.result.to_dict()) if self.result is not None else {}


def fuse_scores_fn(cfg: Mapping[str, Any]) -> Any:
    """``fuse(detections, ext_score_file)`` when the config names external scores, else None."""
    if not (cfg.get("test_cfg") or {}).get("ext_score_file"):
        return None
    from actionformer.postprocess import fuse_external_scores

    def fuse(detections: List[Dict[str, Any]], path: str) -> List[Dict[str, Any]]:
        fused = fuse_external_scores(detections, path)
        return [{"video_id": d["video_id"], "segments": np.asarray(d["segments"], dtype=np.float64).reshape(-1, 2),
                 "scores": np.asarray(d["scores"], dtype=np.float64).reshape(-1),
                 "labels": np.asarray(d["labels"], dtype=np.int64).reshape(-1)} for d in fused]

    return fuse
