"""Detection mAP identical to the official ActivityNet evaluator and the original release, and Recall@kx.

Plain functions on arrays (no model, no pandas): ``evaluate_detection`` for one call,
``ANETdetection`` (the seed's class) to load ground truth once and score many prediction sets.
"""

from .average_precision import average_precision_per_class, interpolated_average_precision
from .detection import ANETdetection, DetectionResult, evaluate_detection
from .errors import EvaluationInputError
from .ground_truth import GroundTruth, load_ground_truth, remove_duplicate_annotations
from .matching import segment_tiou
from .predictions import Predictions, to_predictions
from .recall import recall_at_kx
from .report import format_per_class, format_report
from .thresholds import default_tiou_thresholds

__all__ = [
    "ANETdetection",
    "DetectionResult",
    "EvaluationInputError",
    "GroundTruth",
    "Predictions",
    "average_precision_per_class",
    "default_tiou_thresholds",
    "evaluate_detection",
    "format_per_class",
    "format_report",
    "interpolated_average_precision",
    "load_ground_truth",
    "recall_at_kx",
    "remove_duplicate_annotations",
    "segment_tiou",
    "to_predictions",
]
