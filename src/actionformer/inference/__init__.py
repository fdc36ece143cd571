"""Inference on new videos: the :class:`Detector` API, feature files without annotations, long
videos in bounded memory (exact windowed inference), and the result writers.

See docs/inference.md.
"""

from .detector import DEFAULT_WINDOW_STEPS, Detection, Detector
from .errors import InferenceError
from .timing import FeatureTiming
from .writers import WRITERS, detection_kind, register_writer, write_results

__all__ = [
    "DEFAULT_WINDOW_STEPS",
    "Detection",
    "Detector",
    "FeatureTiming",
    "InferenceError",
    "WRITERS",
    "detection_kind",
    "register_writer",
    "write_results",
]
