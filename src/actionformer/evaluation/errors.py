"""The one exception type the evaluation package raises for bad input."""

from __future__ import annotations


class EvaluationInputError(ValueError):
    """Ground truth or predictions that cannot be scored; the message names the file, video and field."""
