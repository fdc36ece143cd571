"""``export_model``: a trained model's dense network to a file, with its metadata and a check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence

import torch

from .dense import DenseNetwork, length_multiple
from .formats import FORMATS, example_inputs, max_difference, runner, save_onnx, save_torchscript

TOLERANCE = 1e-4  # float32 through a few dozen layers: rounding differences stay far below this


def export_metadata(model: torch.nn.Module, cfg: Mapping[str, Any], class_names: Optional[Sequence[str]],
                    fmt: str) -> Dict[str, Any]:
    """What decoding the exported outputs needs: strides, regression ranges, ``test_cfg``,
    the input length rule, the feature timing and the class names."""
    data = cfg.get("dataset") or {}
    return {
        "format": fmt,
        "inputs": ["feats", "masks"],
        "outputs": DenseNetwork(model).output_names(),
        "input_dim": int(sum(model_input_dim(cfg))),
        "num_classes": int(model.num_classes),
        "length_multiple": length_multiple(model),
        "fpn_strides": [int(s) for s in model.fpn_strides],
        "regression_range": [list(map(float, r)) for r in model.reg_range],
        "point_offset": bool(getattr(model.point_generator, "use_offset", False)),
        "test_cfg": _json_ready(dict(model.test_cfg)),
        "feature_timing": {"fps": data.get("default_fps"), "feat_stride": data.get("feat_stride"),
                           "num_frames": data.get("num_frames")},
        "class_names": list(class_names) if class_names is not None else None,
    }


def model_input_dim(cfg: Mapping[str, Any]) -> Sequence[int]:
    value = cfg["model"].get("input_dim")
    return list(value) if isinstance(value, (list, tuple)) else [int(value)]


def _json_ready(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: list(v) if isinstance(v, (tuple, set)) else str(v)))


def export_model(model: torch.nn.Module, cfg: Mapping[str, Any], path: Path, fmt: str,
                 class_names: Optional[Sequence[str]] = None, opset: int = 17) -> Dict[str, Any]:
    """Write ``model``'s dense network (built with ``cpu_kernels: false``, on the CPU, eval mode)
    to ``path`` as ``fmt``, the metadata beside it (``path`` + ``.json``), then run the file at two
    lengths (one with padding, one without) and compare with PyTorch. Returns the
    metadata with ``max_abs_difference``; raises ValueError when that exceeds ``TOLERANCE``."""
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt}: choose {' or '.join(FORMATS)}")
    dense = DenseNetwork(model.cpu().eval()).eval()
    meta = export_metadata(model, cfg, class_names, fmt)
    multiple, channels = meta["length_multiple"], meta["input_dim"]
    example = example_inputs(channels, 2 * multiple, valid=multiple)  # padding at every level
    if fmt == "onnx":
        save_onnx(dense, example, path, opset)
    else:
        save_torchscript(dense, example, path, meta)
    checks = [example_inputs(channels, 4 * multiple, valid=3 * multiple),  # padded
              example_inputs(channels, 6 * multiple, valid=6 * multiple)]  # no padding
    meta["checked_lengths"] = [int(c[0].shape[-1]) for c in checks]
    meta["max_abs_difference"] = max_difference(dense, runner(path, fmt), checks)
    from actionformer.engine.results_io import write_json_atomic

    write_json_atomic(meta, metadata_path(path))
    if not meta["max_abs_difference"] <= TOLERANCE:
        raise ValueError(f"{path}: the exported model differs from PyTorch by {meta['max_abs_difference']:.3g} "
                         f"(> {TOLERANCE}) at lengths {meta['checked_lengths']}; this model's layers do not "
                         "trace to a length-independent graph")
    return meta


def metadata_path(path: Path) -> Path:
    return Path(str(path) + ".json")
