"""Pictures of detections (matplotlib, the optional ``plot`` extra: ``pip install "actionformer[plot]"``).

Every function returns a ``matplotlib.figure.Figure`` (save it with ``figure.savefig(path)``, or
show it in a notebook); matplotlib is imported only when one is drawn.
"""

from ._matplotlib import INSTALL_HINT, MissingPlotDependency, require_matplotlib, save_figure
from .error_charts import plot_false_positives, plot_sensitivity
from .pr_curves import interpolated_curves, plot_pr_curves, plot_pr_curves_per_class, select_classes
from .timeline import plot_timeline

__all__ = [
    "INSTALL_HINT",
    "MissingPlotDependency",
    "interpolated_curves",
    "plot_false_positives",
    "plot_pr_curves",
    "plot_pr_curves_per_class",
    "plot_sensitivity",
    "plot_timeline",
    "require_matplotlib",
    "save_figure",
    "select_classes",
]
