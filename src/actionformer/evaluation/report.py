"""The results table, in the original release's format, and the per-class AP table."""

from __future__ import annotations

from typing import Optional

from .detection import DetectionResult


def format_report(result: DetectionResult, dataset_name: Optional[str] = None, per_class: bool = False) -> str:
    """The original's printout: a ``|tIoU = 0.30: mAP = ... (%) Recall@1x = ... (%) ...`` line
    per threshold and ``Average mAP: XX.XX (%)``; with ``per_class``, the AP table after it."""
    name = dataset_name or result.dataset_name
    lines = [f"[RESULTS] Action detection results on {name}.", ""]
    for t, (tiou, tiou_map) in enumerate(zip(result.tiou_thresholds, result.mAP)):
        line = "|tIoU = {:.2f}: ".format(tiou) + "mAP = {:>4.2f} (%) ".format(tiou_map * 100)
        for ki, k in enumerate(result.top_k):
            line += "Recall@{:d}x = {:>4.2f} (%) ".format(k, result.mRecall[t, ki] * 100)
        lines.append(line)
    lines.append("Average mAP: {:>4.2f} (%)".format(result.average_mAP * 100))
    text = "\n".join(lines)
    if per_class:
        text += "\n\n" + format_per_class(result)
    return text


def format_per_class(result: DetectionResult) -> str:
    """AP (%) per class, best average AP over the thresholds first."""
    entries = result.per_class()
    width = max([len("class")] + [len(e["label"]) for e in entries])
    thr_cols = "".join(f" {'@' + format(t, '.2f'):>6}" for t in result.tiou_thresholds)
    lines = ["AP per class (%), sorted by average AP over the thresholds:",
             f"{'rank':>4}  {'class':<{width}} {'id':>5} {'#gt':>6} {'#pred':>7} {'avg':>6}{thr_cols}"]
    for rank, e in enumerate(entries, start=1):
        aps = "".join(f" {v * 100:6.2f}" for v in e["ap"])
        lines.append(f"{rank:>4}  {e['label']:<{width}} {e['label_id']:>5} {e['num_ground_truth']:>6} "
                     f"{e['num_predictions']:>7} {e['average_ap'] * 100:6.2f}{aps}")
    return "\n".join(lines)
