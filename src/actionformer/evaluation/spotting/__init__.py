"""Action spotting (point events): SoccerNet's average-mAP, number for number as its reference,
the frame-tolerance mAP of E2E-Spot / T-DEED, and the spotting file formats (ours and SoccerNet's).

Plain numpy; the ``spotting`` evaluator (``EVALUATORS``) wraps it for ``train``, ``eval`` and
``evaluate``.
"""

from .average_map import AverageMapResult, soccernet_average_map
from .evaluator import SpottingEvaluator
from .events import SpottingEvents, SpottingPredictions, events_from_dict, predictions_from_list
from .files import (LoadedPredictions, load_spotting_ground_truth, load_spotting_predictions,
                    write_point_predictions, write_soccernet_predictions)
from .frame_map import FrameMapResult, frame_tolerance_map
from .result import SpottingResult, format_spotting_report
from .soccernet import SOCCERNET_V2_CLASSES

__all__ = [
    "AverageMapResult",
    "FrameMapResult",
    "LoadedPredictions",
    "SOCCERNET_V2_CLASSES",
    "SpottingEvaluator",
    "SpottingEvents",
    "SpottingPredictions",
    "SpottingResult",
    "events_from_dict",
    "format_spotting_report",
    "frame_tolerance_map",
    "load_spotting_ground_truth",
    "load_spotting_predictions",
    "predictions_from_list",
    "soccernet_average_map",
    "write_point_predictions",
    "write_soccernet_predictions",
]
