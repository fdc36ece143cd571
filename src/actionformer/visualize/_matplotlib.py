"""matplotlib, imported only when a picture is drawn (it is the optional ``plot`` extra).

Figures are built with the object-oriented API (``matplotlib.figure.Figure``), never pyplot:
no global state, no GUI backend, and a notebook user's pyplot settings are left alone.
"""

from __future__ import annotations

import os
from typing import Any

INSTALL_HINT = 'pip install "actionformer[plot]"'


class MissingPlotDependency(ImportError):
    """matplotlib is not installed; the message says how to install it."""


def require_matplotlib() -> None:
    """Raise :class:`MissingPlotDependency` (naming the extra to install) when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        raise MissingPlotDependency(f"drawing pictures needs matplotlib: {INSTALL_HINT}") from None
    del matplotlib  # only its presence was checked


def new_figure(width: float, height: float) -> Any:
    """A ``matplotlib.figure.Figure`` of the given size in inches (white background, 120 dpi)."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=120, facecolor="white", layout="constrained")


def save_figure(figure: Any, path: str) -> None:
    """Write ``figure`` to ``path`` (format from the extension) atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{os.getpid()}{ext}"  # the extension picks the format
    try:
        figure.savefig(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def colormap(name: str) -> Any:
    """A registered colormap by name (``matplotlib.colormaps``, matplotlib >= 3.5)."""
    import matplotlib

    return matplotlib.colormaps[name]
