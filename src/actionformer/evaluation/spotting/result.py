"""Everything one spotting evaluation measured, its printed table and its json form."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import numpy as np

from .average_map import AverageMapResult
from .frame_map import FrameMapResult

HEADLINES = ("tight", "loose", "frame")


@dataclass
class SpottingResult:
    classes: List[str]
    num_videos: int
    num_events: np.ndarray  # (C,) events per class (one per grid frame, as the metric counts them)
    num_predictions: np.ndarray  # (C,)
    tight: AverageMapResult
    loose: AverageMapResult
    frame: FrameMapResult
    metric: str  # the headline: tight, loose or frame
    framerate: int
    tolerance_unit: str  # of the frame-tolerance mAP: steps or seconds
    warnings: List[str] = field(default_factory=list)

    @property
    def has_unshown(self) -> bool:
        return bool(np.any(self.tight.ap_unshown > 0) or np.any(self.loose.ap_unshown > 0))

    def headline(self) -> Tuple[np.ndarray, float]:
        """(values per tolerance, the headline) of the chosen metric, fractions."""
        if self.metric == "frame":
            return self.frame.mAP, float(np.mean(self.frame.mAP))
        chosen = self.tight if self.metric == "tight" else self.loose
        return chosen.mAP, float(chosen.a_mAP)

    def to_dict(self) -> Dict[str, Any]:
        def amap(r: AverageMapResult) -> Dict[str, Any]:
            return {"tolerances_s": r.tolerances.tolist(), "a_mAP": r.a_mAP, "a_mAP_visible": r.a_mAP_visible,
                    "a_mAP_unshown": r.a_mAP_unshown, "mAP": r.mAP.tolist(), "mAP_visible": r.mAP_visible.tolist(),
                    "mAP_unshown": r.mAP_unshown.tolist(),
                    "a_mAP_per_class": dict(zip(self.classes, r.a_mAP_per_class.tolist())),
                    "a_mAP_per_class_visible": dict(zip(self.classes, r.a_mAP_per_class_visible.tolist())),
                    "a_mAP_per_class_unshown": dict(zip(self.classes, r.a_mAP_per_class_unshown.tolist()))}

        values, headline = self.headline()
        frame = {"tolerances": self.frame.tolerances.tolist(), "unit": self.tolerance_unit,
                 "mAP": self.frame.mAP.tolist(),
                 "ap_per_class": {c: self.frame.ap[:, i].tolist() for i, c in enumerate(self.classes)}}
        return {"task": "spotting", "metric": self.metric, "headline": headline, "per_tolerance": values.tolist(),
                "framerate": self.framerate, "num_videos": self.num_videos,
                "num_events": dict(zip(self.classes, self.num_events.tolist())),
                "num_predictions": dict(zip(self.classes, self.num_predictions.tolist())),
                "tight": amap(self.tight), "loose": amap(self.loose), "frame": frame,
                "warnings": list(self.warnings)}


def _pct(value: float) -> str:
    return f"{value * 100:6.2f}" if np.isfinite(value) else "     -"


def _tolerances(values: np.ndarray) -> str:
    return " ".join(f"{v:g}" for v in values)


def format_spotting_report(result: SpottingResult, per_class: bool = False) -> str:
    """The a-mAP table (tight, loose; visible, unshown), the frame-tolerance mAPs, optionally AP per
    class, and last the headline line ``Average mAP: XX.XX (%) [...]``."""
    lines = [f"[RESULTS] Action spotting on {result.num_videos} videos, {len(result.classes)} classes, "
             f"{int(result.num_events.sum())} events (SoccerNet a-mAP on a {result.framerate} fps grid).", "",
             f"{'':<22}{'a-mAP':>8}{'visible':>9}{'unshown':>9}"]
    for name, r in (("tight", result.tight), ("loose", result.loose)):
        span = f"{name} ({r.tolerances[0]:g}-{r.tolerances[-1]:g} s)"
        lines.append(f"{span:<22}{_pct(r.a_mAP):>8}{_pct(r.a_mAP_visible):>9}{_pct(r.a_mAP_unshown):>9}")
    unit = "steps" if result.tolerance_unit == "steps" else "s"
    cells = "  ".join(f"@{t:g}={_pct(m).strip()}" for t, m in zip(result.frame.tolerances, result.frame.mAP))
    lines += ["", f"frame-tolerance mAP (E2E-Spot), tolerance in {unit}: {cells}"]
    if per_class:
        lines += ["", _per_class_table(result)]
    _, headline = result.headline()
    names = {"tight": "tight a-mAP", "loose": "loose a-mAP", "frame": "frame-tolerance mAP, mean over tolerances"}
    lines += ["", f"Average mAP: {headline * 100:.2f} (%) [{names[result.metric]}]"]
    return "\n".join(lines)


def _per_class_table(result: SpottingResult) -> str:
    width = max([len("class")] + [len(c) for c in result.classes])
    with warnings.catch_warnings():  # a class without events has no frame-tolerance AP: shown as '-'
        warnings.simplefilter("ignore", RuntimeWarning)
        frame_avg = np.nanmean(result.frame.ap, axis=0)
    rows = [f"{'class':<{width}} {'#events':>8} {'#preds':>8} {'tight':>7} {'loose':>7} {'frame':>7}"]
    for c, name in enumerate(result.classes):
        rows.append(f"{name:<{width}} {int(result.num_events[c]):>8} {int(result.num_predictions[c]):>8} "
                    f"{_pct(result.tight.a_mAP_per_class[c]):>7} {_pct(result.loose.a_mAP_per_class[c]):>7} "
                    f"{_pct(frame_avg[c]):>7}")
    return "AP per class (%): a-mAP tight / loose, frame-tolerance mAP averaged over tolerances\n" + "\n".join(rows)
