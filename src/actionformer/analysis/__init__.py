"""Error analysis of detections against ground truth (numpy only; the charts live in
``actionformer.visualize``): DETAD's false-positive profile and the sensitivity of mAP to
action length and coverage, on the evaluator's own matching."""

from .false_positives import ERROR_NAMES, FalsePositiveAnalysis, analyze_false_positives, error_types
from .matched import MatchedPredictions, average_precision, match_predictions, matched_instances
from .report import format_false_positives, format_sensitivity
from .sensitivity import SensitivityAnalysis, analyze_sensitivity, default_bins

__all__ = [
    "ERROR_NAMES",
    "FalsePositiveAnalysis",
    "MatchedPredictions",
    "SensitivityAnalysis",
    "analyze_false_positives",
    "analyze_sensitivity",
    "average_precision",
    "default_bins",
    "error_types",
    "format_false_positives",
    "format_sensitivity",
    "match_predictions",
    "matched_instances",
]
