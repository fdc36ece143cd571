"""A trained model for inference: config + checkpoint -> the model in eval mode on a device, and
the class names its labels stand for. Every failure is an :class:`InferenceError` naming the
file (a missing or unreadable checkpoint, one written for another config, a bad device)."""

from __future__ import annotations

import os
import warnings
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch

from .errors import USAGE, InferenceError

PathLike = Union[str, "os.PathLike[str]"]


def load_inference_config(config: Union[PathLike, Mapping[str, Any]], overrides: Sequence[str] = ()) -> Dict[str, Any]:
    """A resolved config from a YAML path (with ``--set`` style overrides) or an already resolved dict."""
    from actionformer.config import ConfigurationError, load_config

    if isinstance(config, Mapping):
        if overrides:
            raise InferenceError("overrides apply to a config file, not to a resolved config dict", USAGE)
        return dict(config)
    try:
        return load_config(os.fspath(config), overrides=list(overrides))
    except ConfigurationError as exc:
        raise InferenceError(str(exc), USAGE) from exc
    except FileNotFoundError as exc:
        raise InferenceError(f"config not found: {config}", USAGE) from exc


def resolve_device(device: Union[None, str, torch.device]) -> torch.device:
    """``None``/"auto": the GPU when there is one, else the CPU; a device torch cannot use is an error."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InferenceError(f"--device {device}: {exc}", USAGE) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InferenceError(f"--device {device}: torch sees no CUDA GPU on this machine; use --device cpu", USAGE)
    return resolved


def checkpoint_file(checkpoint: PathLike) -> str:
    """A checkpoint file; for an experiment folder its model_best, else its latest checkpoint."""
    from actionformer.engine.checkpoint import BEST_NAME, latest_checkpoint

    path = os.fspath(checkpoint)
    if not os.path.isdir(path):
        return path
    if os.path.isfile(os.path.join(path, BEST_NAME)):
        return os.path.join(path, BEST_NAME)
    found = latest_checkpoint(path)
    if found is None:
        raise InferenceError(f"{path}: no checkpoint (*.pth.tar) in this folder", USAGE)
    return str(found)


def build_trained_model(cfg: Dict[str, Any], checkpoint: PathLike, device: torch.device, use_ema: bool = True,
                        class_names: Optional[Sequence[str]] = None) -> torch.nn.Module:
    """The config's model with the checkpoint's weights (EMA ones when present and ``use_ema``);
    ``checkpoint``: a file or an experiment folder (see :func:`checkpoint_file`). ``class_names``
    (default: from the config's dataset files) resolve class names in ``test_cfg``."""
    from actionformer.data import import_custom_modules
    from actionformer.engine.build import build_model
    from actionformer.modeling import load_checkpoint
    from actionformer.modeling.weights import CheckpointError

    from actionformer.config import ConfigurationError
    from actionformer.data import DataError

    import_custom_modules(cfg)
    try:  # class names in test_cfg (per-class NMS tables, constraints) need the dataset's names
        names = list(class_names) if class_names is not None else class_names_from_config(cfg)
        model = build_model(cfg, class_names=names)
    except (ConfigurationError, DataError) as exc:
        raise InferenceError(str(exc), USAGE) from exc
    try:
        load_checkpoint(checkpoint_file(checkpoint), model, use_ema=use_ema, strict=True)
    except FileNotFoundError as exc:
        raise InferenceError(f"checkpoint not found: {checkpoint}", USAGE) from exc
    except CheckpointError as exc:  # unreadable, or the weights of another config
        raise InferenceError(str(exc), USAGE) from exc
    return model.to(device).eval()


def class_names_from_config(cfg: Mapping[str, Any]) -> Optional[List[str]]:
    """Names of the label ids, from ``dataset.class_list`` or the annotation file when they exist
    (new videos need no annotations: then the labels are written as their ids)."""
    from actionformer.data.annotations import build_label_dict, load_annotations, load_class_list

    data = cfg.get("dataset") or {}
    if cfg.get("dataset_name") == "soccernet":  # its classes are in the config (default: SoccerNet-v2's 17)
        from actionformer.data.datasets.soccernet import SOCCERNET_V2_CLASSES

        return [str(n) for n in data.get("class_names") or SOCCERNET_V2_CLASSES]
    try:
        if data.get("class_list") and os.path.isfile(str(data["class_list"])):
            return load_class_list(str(data["class_list"]))
        json_file = data.get("json_file")
        if json_file and os.path.isfile(str(json_file)):
            label_dict, _ = build_label_dict(load_annotations(str(json_file), data.get("video_list")))
            return [name for name, _ in sorted(label_dict.items(), key=lambda kv: kv[1])] or None
    except Exception as exc:  # names are a convenience: say why they are missing, keep going
        warnings.warn(f"class names not read from the config's dataset files ({exc}); labels are written as ids",
                      stacklevel=2)
    return None


def read_class_names(path: PathLike) -> List[str]:
    """One class name per line (the order gives the label ids)."""
    try:
        with open(path, encoding="utf-8") as handle:
            names = [line.strip() for line in handle if line.strip()]
    except OSError as exc:
        raise InferenceError(f"--classes {path}: cannot read: {exc}", USAGE) from exc
    if not names:
        raise InferenceError(f"--classes {path}: no class names in the file (one per line)", USAGE)
    return names
