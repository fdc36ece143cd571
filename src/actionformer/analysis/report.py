"""The text tables ``actionformer analyze`` prints and writes (percent, one decimal)."""

from __future__ import annotations

import math
from typing import List

from .false_positives import ERROR_NAMES, FalsePositiveAnalysis
from .sensitivity import SensitivityAnalysis


def _metric(normalized: bool) -> str:
    return "average-mAP_N" if normalized else "average-mAP"


def format_false_positives(result: FalsePositiveAnalysis) -> str:
    """The profile (share of each type in the top k x G) and the gain from removing each type."""
    thresholds = ", ".join(f"{t:.2f}" for t in result.tiou_thresholds)
    width = max(len(name) for name in ERROR_NAMES)
    header = f"{'top':>5} {'#pred':>7}  " + "  ".join(f"{name:>{len(name)}}" for name in ERROR_NAMES)
    lines = [f"False-positive profile (DETAD), % of the top k x G predictions per class, mean over tIoU {thresholds}:",
             header]
    for k, n, row in zip(result.top_factors, result.num_analysed, result.profile):
        cells = "  ".join(f"{v * 100:>{len(name)}.1f}" for name, v in zip(ERROR_NAMES, row))
        lines.append(f"{str(k) + 'G':>5} {n:>7}  {cells}")
    metric = _metric(result.normalized)
    title = (f"Removing each error type from the top {result.top_factors[-1]}G predictions "
             f"({metric} {result.base_average_map * 100:.2f}):")
    lines += ["", title, f"{'error type':<{width}}  {'gain':>6}"]
    for name, gain in result.average_map_gain.items():
        lines.append(f"{name:<{width}}  {gain * 100:>+6.2f}")
    return "\n".join(lines)


def _bound(value: float, unit: str) -> str:
    return "inf" if math.isinf(value) else f"{value:g}{unit}"


def format_sensitivity(result: SensitivityAnalysis) -> str:
    """One block per characteristic: bin, its interval, instances, average-mAP(_N)."""
    metric = _metric(result.normalized)
    lines: List[str] = [f"Sensitivity (DETAD): {metric} per bin (all instances: {result.base_average_map * 100:.2f})"]
    for name, bins in result.characteristics.items():
        unit = " s" if name == "length" else ""
        lines += ["", f"{name:<10} {'interval':<18} {'#gt':>6} {metric:>14}"]
        for b in bins:
            interval = f"({_bound(b.low, unit)}, {_bound(b.high, unit)}]"
            value = "-" if math.isnan(b.average_map) else f"{b.average_map * 100:.2f}"
            lines.append(f"{b.name:<10} {interval:<18} {b.num_instances:>6} {value:>14}")
        if result.left_out.get(name):
            why = "no video duration or coverage > 1" if name == "coverage" else "outside the bins"
            lines.append(f"({result.left_out[name]} instance(s) in no bin: {why})")
    return "\n".join(lines)
