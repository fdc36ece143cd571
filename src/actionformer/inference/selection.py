"""Keeping part of each video's results: ``--min-score``, ``--top-k`` and ``--constraints``.

Works on any kind of result dict: every array with one entry per detection (the length of
``scores``) is filtered alike, so spotting results (``times``) are handled as segments are.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch

from .errors import USAGE, InferenceError


def select(result: Mapping[str, Any], min_score: float = 0.0, top_k: int = 0) -> Dict[str, Any]:
    """The detections scoring >= ``min_score``, at most the ``top_k`` best (0: all), best first."""
    scores = np.asarray(result["scores"], dtype=np.float64).reshape(-1)
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] >= min_score]
    if top_k > 0:
        order = order[:top_k]
    count = scores.shape[0]
    out: Dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim >= 1 and value.shape[0] == count:
            index = torch.from_numpy(order) if isinstance(value, torch.Tensor) else order
            out[key] = value[index]
        else:
            out[key] = value
    return out


def load_temporal_constraints(path: str, class_names: Optional[Sequence[str]]) -> Any:
    """The temporal rules of ``path`` (``actionformer.postprocess.constraints``), errors naming
    the flag and the file."""
    from actionformer.postprocess.constraints import ConstraintError, load_constraints

    if not os.path.isfile(path):
        raise InferenceError(f"--constraints {path}: no such file", USAGE)
    try:
        return load_constraints(path, list(class_names) if class_names is not None else None)
    except (ConstraintError, OSError, ValueError) as exc:  # they name the rule; add the flag and file
        raise InferenceError(f"--constraints {path}: {exc}", USAGE) from exc


def apply_selection(results: Sequence[Mapping[str, Any]], min_score: float = 0.0, top_k: int = 0,
                    constraints: Any = None) -> List[Dict[str, Any]]:
    """Constraints first (they may drop or rescore detections), then score and count limits."""
    out = []
    for result in results:
        det = constraints.apply(dict(result)) if constraints is not None else dict(result)
        out.append(select(det, min_score, top_k))
    return out
