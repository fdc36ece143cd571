"""Temporal rules on one video's detections: ``TemporalConstraints`` and the seed's helpers.

Rules (per class, by name or id; see ``constraint_rules.py`` for the mapping layout), applied
in this order, each only when asked for:

1. ``merge_gap``: merge same-class detections whose gap (start minus the running maximum end
   of the class so far) is at most this; the merged one spans them and keeps the best score.
2. ``min_duration`` / ``max_duration``: drop detections outside the range.
3. ``min_gap``: walking by descending score, drop a detection closer than this to a kept one
   of its class (overlapping ones are closer than any gap >= 0).
4. ``exclusive``: walking by descending score, drop a detection overlapping a kept detection of
   another class of one of its groups.
5. ``max_per_video``: keep the best this many.

The result is sorted by descending score. Merging first lets fragments of one event count as
that event in the duration rule. Selected in a config by ``test_cfg.constraints`` (the
``constraints`` detection filter), so ``eval`` reports mAP with the rules applied.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import constraint_ops as ops
from .constraint_rules import (
    ClassRule, ConstraintError, ParsedConstraints, check_mapping, parse_mapping, resolve_class,
)
from .registries import DETECTION_FILTERS

Detection = Dict[str, Any]
__all__ = [
    "ClassRule", "ConstraintError", "TemporalConstraints", "apply_constraints_to_results", "check_mapping",
    "enforce_class_constraints", "load_constraints", "merge_close_detections",
]


@dataclasses.dataclass(frozen=True)
class TemporalConstraints:
    """Resolved rules: class ids only. Build with ``from_mapping`` or ``load_constraints``."""

    default_rule: ClassRule = ClassRule()
    class_rules: Mapping[int, ClassRule] = dataclasses.field(default_factory=dict)
    exclusive_groups: Tuple[Tuple[int, ...], ...] = ()
    max_per_video: Optional[int] = None

    @classmethod
    def from_mapping(cls, mapping: Any, class_names: Optional[Sequence[str]] = None,
                     source: str = "constraints") -> "TemporalConstraints":
        """From a mapping (a constraints file's content); ``class_names`` (id order) resolves names."""
        parsed = parse_mapping(mapping, source)
        return cls._resolve(parsed, None if class_names is None else list(class_names), source)

    @classmethod
    def _resolve(cls, parsed: ParsedConstraints, names: Optional[List[str]], source: str) -> "TemporalConstraints":
        num_classes = None if names is None else len(names)
        rules = {resolve_class(ref, names, num_classes, f"{source}.classes.{ref}"): rule
                 for ref, rule in parsed.class_rules.items()}
        groups = tuple(
            tuple(sorted({resolve_class(ref, names, num_classes, f"{source}.exclusive[{i}]") for ref in group}))
            for i, group in enumerate(parsed.exclusive)
        )
        for i, group in enumerate(groups):
            if len(group) < 2:  # e.g. [a, a] or [0, "0"]: the rule could never drop anything
                raise ConstraintError(f"{source}.exclusive[{i}]: {list(parsed.exclusive[i])!r} names one class; "
                                      "a group needs at least two different classes")
        return cls(parsed.default_rule, rules, groups, parsed.max_per_video)

    def rule_of(self, class_id: int) -> ClassRule:
        own = self.class_rules.get(int(class_id))
        return self.default_rule if own is None else self.default_rule.overlaid(own)

    def per_detection(self, field: str, labels: np.ndarray) -> np.ndarray:
        """The value of one rule for every detection (NaN where its class has none)."""
        default = getattr(self.default_rule, field)
        values = np.full(labels.shape[0], np.nan if default is None else default, dtype=np.float64)
        for class_id, rule in self.class_rules.items():
            value = getattr(rule, field)
            if value is not None:
                values[labels == class_id] = value
        return values

    def exclusion_matrix(self, num_classes: int) -> np.ndarray:
        """(C, C) bool: True where two different classes share an exclusive group."""
        excludes = np.zeros((num_classes, num_classes), dtype=bool)
        for group in self.exclusive_groups:
            ids = np.asarray(group, dtype=np.int64)
            excludes[np.ix_(ids, ids)] = True
        np.fill_diagonal(excludes, False)
        return excludes

    def apply(self, detection: Mapping[str, Any]) -> Detection:
        """One video's ``{"segments" (N, 2) s, "scores" (N,), "labels" (N,), ...}`` (numpy or
        torch) -> the same keys, same array kind/dtype/device, rules applied, by descending score."""
        segments, scores, labels = _as_numpy(detection)
        segments, scores, labels = self.apply_arrays(segments, scores, labels)
        out = dict(detection)
        out.update(_like(detection, segments, scores, labels))
        return out

    def apply_arrays(self, segments: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> ops.Arrays:
        """The rules on numpy arrays (float64 segments/scores, int64 labels)."""
        merge_gap = self.per_detection("merge_gap", labels)
        if not np.isnan(merge_gap).all():
            segments, scores, labels = ops.merge_runs(segments, scores, labels, merge_gap)
        keep = ops.duration_mask(segments, self.per_detection("min_duration", labels),
                                 self.per_detection("max_duration", labels))
        segments, scores, labels = segments[keep], scores[keep], labels[keep]
        min_gap = self.per_detection("min_gap", labels)
        if not np.isnan(min_gap).all():
            keep = ops.min_gap_keep(segments, scores, labels, min_gap)
            segments, scores, labels = segments[keep], scores[keep], labels[keep]
        if self.exclusive_groups:
            num_classes = 1 + max(max(g) for g in self.exclusive_groups)
            keep = ops.exclusive_keep(segments, scores, labels, self.exclusion_matrix(num_classes))
            segments, scores, labels = segments[keep], scores[keep], labels[keep]
        if self.max_per_video is not None:
            keep = ops.top_k_keep(scores, self.max_per_video)
            segments, scores, labels = segments[keep], scores[keep], labels[keep]
        order = ops.score_order(scores)
        return segments[order], scores[order], labels[order]

    def apply_all(self, detections: Sequence[Mapping[str, Any]]) -> List[Detection]:
        return [self.apply(det) for det in detections]


def load_constraints(path: Union[str, Path], class_names: Optional[Sequence[str]] = None) -> TemporalConstraints:
    """A ``--constraints FILE.yaml`` (or .json) file -> resolved rules; errors name the file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConstraintError(f"{path}: cannot read the constraints file ({exc.strerror or exc})") from None
    try:
        mapping = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConstraintError(f"{path}: not valid YAML: {exc}") from None
    return TemporalConstraints.from_mapping(mapping, class_names, source=str(path))


def _as_numpy(detection: Mapping[str, Any]) -> ops.Arrays:
    missing = [k for k in ("segments", "scores", "labels") if k not in detection]
    if missing:
        video = detection.get("video_id", "?")
        raise ConstraintError(f"detection of video {video!r}: missing {', '.join(missing)}")
    segments = _numpy(detection["segments"], np.float64).reshape(-1, 2)
    scores = _numpy(detection["scores"], np.float64).reshape(-1)
    labels = _numpy(detection["labels"], np.int64).reshape(-1)
    if not segments.shape[0] == scores.shape[0] == labels.shape[0]:
        raise ConstraintError(f"detection of video {detection.get('video_id', '?')!r}: segments, scores and labels "
                              f"differ in length ({segments.shape[0]}, {scores.shape[0]}, {labels.shape[0]})")
    return segments, scores, labels


def _numpy(value: Any, dtype: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)


def _like(detection: Mapping[str, Any], segments: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> Detection:
    """The new arrays in the kind (numpy / torch), dtype and device of the input's."""
    out = {}
    for key, value in (("segments", segments), ("scores", scores), ("labels", labels)):
        template = detection[key]
        if hasattr(template, "detach"):
            import torch

            out[key] = torch.as_tensor(value).to(dtype=template.dtype, device=template.device)
        elif isinstance(template, np.ndarray):
            out[key] = value.astype(template.dtype, copy=False)
        else:
            out[key] = value
    return out


def apply_constraints_to_results(results: Any, constraints: TemporalConstraints) -> Any:
    """Rules on many videos: a list of per-video dicts, or a results json dict
    (``{"results": {video: [{"segment", "label_id" | "label", "score"}, ...]}}``, labels by id,
    else by name through the constraints' resolution) returned in the same layout."""
    if isinstance(results, Mapping) and isinstance(results.get("results"), Mapping):
        return _apply_to_json(results, constraints)
    if isinstance(results, (list, tuple)):
        return constraints.apply_all(results)
    raise ConstraintError("apply_constraints_to_results: expected a list of per-video detections or a results "
                          "json with a 'results' mapping")


def _apply_to_json(results: Mapping[str, Any], constraints: TemporalConstraints) -> Dict[str, Any]:
    out: Dict[str, Any] = {**results, "results": {}}
    for video_id, rows in results["results"].items():
        try:
            segments = np.asarray([r["segment"] for r in rows], dtype=np.float64).reshape(-1, 2)
            scores = np.asarray([r["score"] for r in rows], dtype=np.float64)
            labels = np.asarray([int(r["label_id"]) for r in rows], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConstraintError(f"results of video {video_id!r}: every entry needs 'segment', 'score' and "
                                  f"'label_id' ({exc!r})") from None
        names = {int(r["label_id"]): r.get("label", str(r["label_id"])) for r in rows}
        segments, scores, labels = constraints.apply_arrays(segments, scores, labels)
        out["results"][video_id] = [
            {"segment": [float(s), float(e)], "label": names[int(lab)], "label_id": int(lab), "score": float(sc)}
            for (s, e), sc, lab in zip(segments, scores, labels)
        ]
    return out


def enforce_class_constraints(detection: Mapping[str, Any], constraints: Union[TemporalConstraints, Mapping[str, Any]],
                              class_names: Optional[Sequence[str]] = None) -> Detection:
    """The seed's name: ``constraints`` (resolved, or a mapping) applied to one video's detections."""
    if not isinstance(constraints, TemporalConstraints):
        constraints = TemporalConstraints.from_mapping(constraints, class_names)
    return constraints.apply(detection)


def merge_close_detections(detection: Mapping[str, Any], max_gap: float,
                           classes: Optional[Sequence[int]] = None) -> Detection:
    """The seed's name: merge same-class detections at most ``max_gap`` seconds apart (every
    class, or only ``classes``), with the running-maximum end; nothing else is changed."""
    rule = {"merge_gap": max_gap}
    mapping = {"classes": {c: rule for c in classes}} if classes is not None else {"classes": {"*": rule}}
    return TemporalConstraints.from_mapping(mapping).apply(detection)


_CACHE: Dict[str, TemporalConstraints] = {}


@DETECTION_FILTERS.register("constraints")
def constraints_filter(detection: Detection, test_cfg: Mapping[str, Any], video_meta: Mapping[str, Any]) -> Detection:
    """``test_cfg.constraints`` on one video's detections (class names resolved beforehand by
    ``resolve_constraint_names``; ids work as they are)."""
    mapping = test_cfg.get("constraints")
    if not mapping:
        return detection
    key = json.dumps(mapping, sort_keys=True, default=str)
    constraints = _CACHE.get(key)
    if constraints is None:
        constraints = _CACHE[key] = TemporalConstraints.from_mapping(mapping, source="test_cfg.constraints")
    return constraints.apply(detection)


def resolve_constraint_names(mapping: Any, class_names: Sequence[str]) -> Any:
    """``mapping`` with every class name replaced by its id (what the filter needs: it does not
    know the dataset's names). Checks the names, with did-you-mean."""
    if not mapping:
        return mapping
    resolved = TemporalConstraints.from_mapping(mapping, class_names, source="test_cfg.constraints")
    out: Dict[str, Any] = {}
    classes: Dict[Any, Any] = {}
    if resolved.default_rule != ClassRule():
        classes["*"] = _rule_mapping(resolved.default_rule)
    for class_id, rule in resolved.class_rules.items():
        classes[class_id] = _rule_mapping(rule)
    if classes:
        out["classes"] = classes
    if resolved.exclusive_groups:
        out["exclusive"] = [list(g) for g in resolved.exclusive_groups]
    if resolved.max_per_video is not None:
        out["max_per_video"] = resolved.max_per_video
    return out


def _rule_mapping(rule: ClassRule) -> Dict[str, float]:
    return {k: v for k, v in dataclasses.asdict(rule).items() if v is not None}
