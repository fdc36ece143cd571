"""The one error type of inference: a message that names the file, video and field, and the exit
code the ``infer`` command returns for it (1: the data is bad, 2: a flag, config or checkpoint
cannot work), as ``cli/preflight.py`` does for ``train`` and ``eval``."""

from __future__ import annotations

DATA, USAGE = 1, 2


class InferenceError(ValueError):
    """Bad input to inference; ``code`` is the exit code (1 data, 2 usage)."""

    def __init__(self, message: str, code: int = DATA) -> None:
        super().__init__(message)
        self.code = code
