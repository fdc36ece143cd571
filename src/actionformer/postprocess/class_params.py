"""Per-class NMS parameters (``test_cfg.class_sigma``, ``test_cfg.class_iou_threshold``): their
config value type, and turning class names into class ids.

A table maps classes to values, ``{0: 0.7, 'Diving': 0.4}``; classes not listed keep the global
value (``nms_sigma`` / ``iou_threshold``). Class ids are checked against ``dataset.num_classes``
when the config loads; class names need the dataset's label map, so they are resolved when the
model is built for a dataset (``resolve_class_tables``).
"""

from __future__ import annotations

import difflib
from typing import Any, Dict, Mapping, Optional

import numpy as np
import torch

from actionformer.config.valuetypes import ValueType, is_int, is_number, show

CLASS_TABLE_KEYS = ("class_sigma", "class_iou_threshold")


class ClassTable(ValueType):
    """A mapping {class id (int >= 0) or class name (str): number in (lo, hi]}."""

    def __init__(self, lo: float = 0.0, hi: Optional[float] = None) -> None:
        self.lo, self.hi = lo, hi

    def _value_ok(self, value: object) -> bool:
        return is_number(value) and value > self.lo and (self.hi is None or value <= self.hi)

    def check(self, value: object) -> Optional[str]:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            return self._expected()
        for cls, val in value.items():
            if not ((is_int(cls) and cls >= 0) or (isinstance(cls, str) and cls)):
                return f"{self._expected()}; key {show(cls)} is neither a class id nor a class name"
            if not self._value_ok(val):
                return f"{self._expected()}; class {cls!r} has {show(val)}"
        return None

    def describe(self) -> str:
        upper = "" if self.hi is None else f" and <= {self.hi:g}"
        return f"null | mapping {{class id or name: number > {self.lo:g}{upper}}}"


def class_id_problems(test_cfg: Mapping[str, Any], num_classes: int) -> list:
    """Messages for class ids >= num_classes in the tables of ``test_cfg``."""
    problems = []
    for key in CLASS_TABLE_KEYS:
        table = test_cfg.get(key) or {}
        # a negative id is the value type's error (ClassTable.check), reported there once
        bad = sorted(c for c in table if is_int(c) and c >= num_classes)
        if bad:
            problems.append(f"test_cfg.{key}: class ids {bad} are not < dataset.num_classes ({num_classes})")
    return problems


def named_classes(test_cfg: Mapping[str, Any]) -> Dict[str, list]:
    """{key: [class names]} of the class tables of ``test_cfg`` that name classes (not ids)."""
    out = {}
    for key in CLASS_TABLE_KEYS:
        names = [c for c in (test_cfg.get(key) or {}) if isinstance(c, str)]
        if names:
            out[key] = names
    return out


def resolve_class_tables(test_cfg: Mapping[str, Any], label_ids: Mapping[str, int]) -> Dict[str, Any]:
    """A copy of ``test_cfg`` whose class tables hold class ids only: each class name becomes its
    id in ``label_ids`` (the dataset's label map). An unknown name is a ``ValueError`` naming the
    key, the name and the closest known names; a class given twice (by id and by name) too."""
    out = dict(test_cfg)
    for key in CLASS_TABLE_KEYS:
        table = test_cfg.get(key)
        if not table:
            continue
        resolved: Dict[int, float] = {}
        for cls, value in table.items():
            if isinstance(cls, str):
                if cls not in label_ids:
                    close = difflib.get_close_matches(cls, list(label_ids), n=3, cutoff=0.6)
                    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
                    raise ValueError(f"test_cfg.{key}: unknown class {cls!r}{hint}; the dataset's classes "
                                     f"are {sorted(label_ids)[:20]}")
                cls_id = int(label_ids[cls])
            else:
                cls_id = int(cls)
            if cls_id in resolved:
                raise ValueError(f"test_cfg.{key}: class {cls!r} (id {cls_id}) is given twice")
            resolved[cls_id] = float(value)
        out[key] = resolved
    return out


def per_candidate_values(
    labels: torch.Tensor, by_class: Optional[Mapping[int, float]], default: float, what: str,
) -> Optional[np.ndarray]:
    """``by_class[label]`` (``default`` for classes it does not list) of every candidate, (N,)
    float64; ``None`` when ``by_class`` is empty, so the caller keeps its scalar path."""
    if not by_class:
        return None
    bad = [c for c in by_class if isinstance(c, bool) or not isinstance(c, (int, np.integer))]
    if bad:
        raise ValueError(
            f"batched_nms: {what} keys must be class ids (int); got {bad!r}. Class names are "
            "turned into ids when the model is built from a config with a dataset "
            "(actionformer.postprocess.resolve_class_tables)"
        )
    label_np = labels.numpy().astype(np.int64)
    size = max([int(label_np.max()) + 1 if label_np.size else 0] + [int(c) + 1 for c in by_class])
    table = np.full(size, default, dtype=np.float64)
    for cls, value in by_class.items():
        table[int(cls)] = value
    return table[label_np]
