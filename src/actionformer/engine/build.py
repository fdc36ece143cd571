"""From a resolved config to the run's parts: datasets, model, evaluator, experiment folder.

Shared by ``actionformer train``, ``actionformer eval`` and the demo; follows the original's
train.py / eval.py (``head_empty_cls`` filled from the training set, EMA weights evaluated).
"""

from __future__ import annotations

import datetime
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np


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
        # only this config's time-stamped folders (thumos_i3d_* would also match thumos_i3d_v2_*)
        stamped = re.compile(re.escape(prefix) + r"_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d")
        candidates = sorted((p for p in root.iterdir() if p.is_dir() and stamped.fullmatch(p.name)),
                            key=lambda p: p.stat().st_mtime)
        if candidates:
            return candidates[-1]
    stamp = datetime.datetime.fromtimestamp(int(time.time())).strftime("%Y-%m-%d_%H-%M-%S")
    return root / f"{prefix}_{stamp}"


def build_dataset(cfg: Mapping[str, Any], is_training: bool, split: Sequence[str],
                  exclude: Sequence[str] = ()) -> Any:
    """The config's dataset; ``exclude`` adds videos to leave out (the bad videos the checks
    before a run found, under ``on_bad_video: skip``) to ``dataset.exclude_videos``."""
    from actionformer.data import make_dataset

    kwargs = dict(cfg.get("dataset") or {})
    if exclude:
        kwargs["exclude_videos"] = sorted(set(kwargs.get("exclude_videos") or ()) | set(exclude))
    return make_dataset(cfg["dataset_name"], is_training, list(split), **kwargs)


def build_model(cfg: Dict[str, Any], empty_label_ids: Optional[List[int]] = None,
                class_names: Optional[Sequence[str]] = None) -> Any:
    """The meta-architecture ``model_name`` names, built by its ``from_config(cfg)`` (which reads
    only the keys it declares); ``train_cfg.head_empty_cls`` comes from the training set (as the
    original). ``class_names`` (the dataset's, in id order) turn the class names of ``test_cfg``
    into ids for the model (see :func:`class_ids_in_test_cfg`)."""
    from actionformer.modeling import META_ARCHS

    if empty_label_ids is not None:
        cfg["model"].setdefault("train_cfg", {})["head_empty_cls"] = list(empty_label_ids)
    if isinstance(cfg["model"].get("test_cfg"), Mapping):
        test_cfg = class_ids_in_test_cfg(cfg["model"]["test_cfg"], class_names, (cfg.get("dataset") or {}))
        cfg = {**cfg, "model": {**cfg["model"], "test_cfg": test_cfg}}
    return META_ARCHS.get(cfg["model_name"]).from_config(cfg)


def class_ids_in_test_cfg(test_cfg: Mapping[str, Any], class_names: Optional[Sequence[str]],
                            dataset_cfg: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of ``test_cfg`` whose temporal rules (``constraints``) and per-class NMS tables
    name classes by id only, the post-processing's terms. The config itself keeps what the user
    wrote (a run's config.yaml too). A bad rule, an unknown name in the rules, or names without
    ``class_names`` to resolve them are a ConfigurationError; an unknown name in the NMS tables
    is a DataError naming the dataset's annotation file. All before any compute."""
    from actionformer.config import ConfigurationError
    from actionformer.postprocess.class_params import named_classes, resolve_class_tables

    out = dict(test_cfg)
    if out.get("constraints"):
        from actionformer.postprocess.constraints import ConstraintError, resolve_constraint_names

        try:
            out["constraints"] = resolve_constraint_names(out["constraints"], class_names)
        except ConstraintError as exc:
            raise ConfigurationError(str(exc)) from None
    if class_names is None:
        # without the dataset's names they would reach the NMS as names and fail mid-run
        problems = [f"test_cfg.{key}: class names {names} need the dataset's class names, which are not "
                    "known here (no dataset.class_list or dataset.json_file to read them from); give them "
                    "(dataset.class_list, or actionformer infer --classes FILE) or write class ids instead"
                    for key, names in named_classes(out).items()]
        if problems:
            raise ConfigurationError(problems)
        return out
    try:
        return resolve_class_tables(out, {str(name): i for i, name in enumerate(class_names)})
    except ValueError as exc:  # a class name the dataset does not have
        from actionformer.data import DataError
        from actionformer.data.report import ERROR, Problem

        problem = Problem(ERROR, "test_cfg", str(exc), file=dataset_cfg.get("json_file"))
        raise DataError([problem], header="the config names classes the dataset does not have") from None


def class_name_list(dataset: Any) -> Optional[List[str]]:
    """A dataset's class names in id order (None without a ``label_dict``)."""
    names = label_names(dataset)
    return [names.get(i, str(i)) for i in range(max(names) + 1)] if names else None


def label_names(dataset: Any) -> Dict[int, str]:
    """Label id -> class name of a dataset (empty when it has no ``label_dict``)."""
    return {int(v): str(k) for k, v in (getattr(dataset, "label_dict", None) or {}).items()}


def build_evaluator(cfg: Mapping[str, Any], dataset: Any, split: Sequence[str]) -> Any:
    """The evaluator of the task of the config's meta-architecture, on ``dataset``'s ground truth."""
    from actionformer.config.components import task_of
    from actionformer.evaluation.evaluators import EVALUATORS

    return EVALUATORS.get(task_of(cfg["model_name"])).from_dataset(dataset, split, cfg)


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
