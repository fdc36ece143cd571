"""Temporal rules on detections as data: parsing a user's mapping into per-class arrays.

The mapping (``test_cfg.constraints`` or a ``--constraints FILE.yaml``)::

    classes:                 # per class (name or id); "*" = every class not listed
      "*": {min_duration: 0.3}
      Diving: {min_duration: 1.0, max_duration: 12, min_gap: 2.0, merge_gap: 0.5}
    exclusive: [[CricketBowling, CricketShot]]   # classes that cannot overlap each other
    max_per_video: 200

Rules that are not written are not applied: nothing happens that the user did not ask for.
Parsing is separate from applying (``constraints.py``) so that the config validator can check a
mapping without torch and without knowing the class names yet.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

ClassRef = Union[int, str]
CLASS_RULE_FIELDS = ("min_duration", "max_duration", "min_gap", "merge_gap")
TOP_FIELDS = ("classes", "exclusive", "max_per_video")
ALL_CLASSES = "*"


class ConstraintError(ValueError):
    """A constraints mapping that cannot be applied; the message names the source and field."""


@dataclasses.dataclass(frozen=True)
class ClassRule:
    """The rules of one class, in seconds; ``None`` = not asked for."""

    min_duration: Optional[float] = None
    max_duration: Optional[float] = None
    min_gap: Optional[float] = None
    merge_gap: Optional[float] = None

    def overlaid(self, other: "ClassRule") -> "ClassRule":
        """``other``'s fields where it sets them, ours elsewhere (a class's own rule over ``"*"``)."""
        return ClassRule(**{f: getattr(other, f) if getattr(other, f) is not None else getattr(self, f)
                            for f in CLASS_RULE_FIELDS})


def _number(value: Any, where: str, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ConstraintError(f"{where}: expected a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConstraintError(f"{where}: must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def parse_class_rule(entry: Any, where: str) -> ClassRule:
    if not isinstance(entry, Mapping):
        raise ConstraintError(f"{where}: expected a mapping of rules ({', '.join(CLASS_RULE_FIELDS)}), got {entry!r}")
    unknown = [k for k in entry if k not in CLASS_RULE_FIELDS]
    if unknown:
        raise ConstraintError(f"{where}: unknown rule {unknown[0]!r}; the rules are {', '.join(CLASS_RULE_FIELDS)}")
    values = {k: _number(v, f"{where}.{k}", allow_zero=k != "max_duration") for k, v in entry.items() if v is not None}
    rule = ClassRule(**values)
    if rule.min_duration is not None and rule.max_duration is not None and rule.min_duration > rule.max_duration:
        raise ConstraintError(f"{where}: min_duration {rule.min_duration} > max_duration {rule.max_duration}")
    return rule


def resolve_class(ref: Any, class_names: Optional[Sequence[str]], num_classes: Optional[int], where: str) -> int:
    """A class id from an id or a name (names need ``class_names``: id -> name, in id order)."""
    if isinstance(ref, bool):
        raise ConstraintError(f"{where}: expected a class name or id, got {ref!r}")
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and (not class_names or ref not in class_names)):
        class_id = int(ref)
        if class_id < 0 or (num_classes is not None and class_id >= num_classes):
            raise ConstraintError(f"{where}: class id {class_id} is outside [0, {num_classes})")
        return class_id
    if not isinstance(ref, str):
        raise ConstraintError(f"{where}: expected a class name or id, got {ref!r}")
    if class_names is None:
        raise ConstraintError(f"{where}: class {ref!r} is a name, but no class names are known here; "
                              "use class ids or pass class_names")
    if ref not in class_names:
        import difflib

        close = difflib.get_close_matches(ref, list(class_names), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConstraintError(f"{where}: unknown class {ref!r}{hint}")
    return list(class_names).index(ref)


@dataclasses.dataclass(frozen=True)
class ParsedConstraints:
    """A checked mapping, classes still as written (ids or names)."""

    default_rule: ClassRule
    class_rules: Dict[ClassRef, ClassRule]
    exclusive: List[List[ClassRef]]
    max_per_video: Optional[int]


def parse_mapping(mapping: Any, source: str = "constraints") -> ParsedConstraints:
    """Check the layout of a constraints mapping (class names are resolved later)."""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, Mapping):
        raise ConstraintError(f"{source}: expected a mapping with keys {', '.join(TOP_FIELDS)}, got {mapping!r}")
    unknown = [k for k in mapping if k not in TOP_FIELDS]
    if unknown:
        hint = " (ordering rules are not supported)" if unknown[0] in ("ordering", "order") else ""
        raise ConstraintError(f"{source}: unknown key {unknown[0]!r}{hint}; the keys are {', '.join(TOP_FIELDS)}")
    classes = mapping.get("classes") or {}
    if not isinstance(classes, Mapping):
        raise ConstraintError(f"{source}.classes: expected a mapping class -> rules, got {classes!r}")
    default_rule = ClassRule()
    class_rules: Dict[ClassRef, ClassRule] = {}
    for ref, entry in classes.items():
        rule = parse_class_rule(entry, f"{source}.classes.{ref}")
        if ref == ALL_CLASSES:
            default_rule = rule
        else:
            class_rules[ref] = rule
    exclusive = mapping.get("exclusive") or []
    if not isinstance(exclusive, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in exclusive):
        raise ConstraintError(f"{source}.exclusive: expected a list of class groups ([[a, b], ...]), got {exclusive!r}")
    for idx, group in enumerate(exclusive):
        if len(group) < 2:
            raise ConstraintError(f"{source}.exclusive[{idx}]: a group needs at least two classes, got {list(group)!r}")
    max_per_video = mapping.get("max_per_video")
    if max_per_video is not None and (isinstance(max_per_video, bool) or not isinstance(max_per_video, int)
                                      or max_per_video < 1):
        raise ConstraintError(f"{source}.max_per_video: expected an integer >= 1 or null, got {max_per_video!r}")
    return ParsedConstraints(default_rule, class_rules, [list(g) for g in exclusive], max_per_video)


def check_mapping(value: Any) -> Optional[str]:
    """For the config validator: ``None`` when ``value`` is a valid constraints mapping, else why."""
    try:
        parse_mapping(value, "test_cfg.constraints")
    except ConstraintError as exc:
        return str(exc)
    return None
