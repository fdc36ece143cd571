"""Problems found in a dataset, collected into a report that says which file, video and field."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Optional, Set

ERROR = "error"
WARNING = "warning"


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with the data.

    ``severity`` is ``"error"`` (the video cannot be used as is: training would crash or learn
    from garbage) or ``"warning"`` (suspicious, but the original release trains with it, e.g. a
    THUMOS14 segment that ends after the video's duration).
    """

    severity: str
    field: str
    message: str
    video_id: Optional[str] = None
    file: Optional[str] = None
    split: Optional[str] = None

    def format(self) -> str:
        where = f"video {self.video_id}" if self.video_id is not None else "dataset"
        file_part = f" ({self.file})" if self.file else ""
        return f"{self.severity.upper():<7} {where}{file_part}: {self.field}: {self.message}"


class DataError(ValueError):
    """Raised when the data has problems and the policy is to stop; carries the problems."""

    def __init__(self, problems: Iterable[Problem], header: str = "the data has problems") -> None:
        if isinstance(problems, str):
            # rebuilt from its message alone, as DataLoader workers re-raise exceptions
            self.problems = []
            super().__init__(problems)
            return
        self.problems: List[Problem] = list(problems)
        lines = [p.format() for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"... and {len(self.problems) - 50} more")
        super().__init__(header + ":\n  " + "\n  ".join(lines))


def dedupe(problems: Iterable[Problem]) -> List[Problem]:
    """The problems in order, each once (two splits can report the same file problem)."""
    seen: "OrderedDict[tuple, Problem]" = OrderedDict()
    for p in problems:
        key = (p.severity, p.field, p.message, p.video_id, p.file)
        seen.setdefault(key, p)
    return list(seen.values())


@dataclasses.dataclass
class DataReport:
    """Everything ``check-data`` found: per-video problems and summary statistics."""

    problems: List[Problem] = dataclasses.field(default_factory=list)
    summary: Dict[str, Any] = dataclasses.field(default_factory=dict)
    config_file: Optional[str] = None

    @property
    def errors(self) -> List[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> List[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    @property
    def bad_video_ids(self) -> Set[str]:
        """Videos with at least one error: the ones ``on_bad_video: skip`` leaves out."""
        return {p.video_id for p in self.errors if p.video_id is not None}

    @property
    def dataset_errors(self) -> List[Problem]:
        """Errors not tied to one video (wrong num_classes, unreadable annotation file, ...)."""
        return [p for p in self.errors if p.video_id is None]

    def format(self, max_problems: int = 200) -> str:
        lines: List[str] = []
        title = f"Data check of {self.config_file}" if self.config_file else "Data check"
        lines.append(title)
        lines.append("=" * len(title))
        if self.problems:
            lines.append(f"Problems ({len(self.errors)} errors, {len(self.warnings)} warnings):")
            for p in self.problems[:max_problems]:
                lines.append("  " + p.format())
            if len(self.problems) > max_problems:
                lines.append(f"  ... and {len(self.problems) - max_problems} more")
        else:
            lines.append("No problems found.")
        lines.extend(_format_summary(self.summary))
        verdict = "OK" if self.ok else f"FAILED: {len(self.bad_video_ids)} bad videos"
        if self.dataset_errors:
            verdict += f", {len(self.dataset_errors)} dataset-level errors"
        lines.append("")
        lines.append(f"Result: {verdict}")
        return "\n".join(lines)


def _fmt_stats(stats: Optional[Dict[str, float]], unit: str = "") -> str:
    if not stats:
        return "n/a"
    return (f"min {stats['min']:.4g}{unit}, mean {stats['mean']:.4g}{unit}, "
            f"max {stats['max']:.4g}{unit}")


def _format_summary(summary: Dict[str, Any]) -> List[str]:
    lines: List[str] = []
    splits = summary.get("splits", {})
    if not splits:
        return lines
    lines.append("")
    lines.append("Summary")
    lines.append("-------")
    for name, s in splits.items():
        subsets = ",".join(s.get("subsets", []))
        lines.append(f"{name} split [{subsets}]: {s.get('num_videos', 0)} videos, "
                     f"{s.get('num_instances', 0)} instances")
        lines.append(f"  video duration (s): {_fmt_stats(s.get('duration'))}")
        lines.append(f"  feature length (steps): {_fmt_stats(s.get('feat_len'))}")
        lines.append(f"  action duration (s): {_fmt_stats(s.get('action_duration'))}")
    per_class = summary.get("instances_per_class")
    if per_class:
        names = list(per_class)
        split_names = list(next(iter(per_class.values())).keys())
        width = max(len(n) for n in names + ["class"])
        lines.append("")
        lines.append("instances per class:")
        lines.append("  " + "class".ljust(width) + "".join(f"  {s:>8}" for s in split_names))
        for n in names:
            counts = per_class[n]
            lines.append("  " + n.ljust(width) + "".join(f"  {counts[s]:>8}" for s in split_names))
    return lines
