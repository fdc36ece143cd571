"""A switch between our fast kernels and the original release's formulation of the same maths.

Both paths compute the same function (parity tests hold either way); the reference path exists so
benchmarks can measure the speed-up on the same machine, and so a suspected kernel bug can be ruled
out by flipping one switch.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

_ENABLED = True


def fast_kernels_enabled() -> bool:
    return _ENABLED


def set_fast_kernels(enabled: bool) -> None:
    global _ENABLED
    _ENABLED = bool(enabled)


@contextlib.contextmanager
def fast_kernels(enabled: bool) -> Iterator[None]:
    """Context manager: ``with fast_kernels(False):`` runs the original-style formulation."""
    previous = _ENABLED
    set_fast_kernels(enabled)
    try:
        yield
    finally:
        set_fast_kernels(previous)
