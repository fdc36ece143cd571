"""Draw detections: one video's timeline, or precision-recall curves (PNG, SVG or PDF by extension).

GT and PRED are the files `actionformer evaluate` reads: ActivityNet / original-release ground
truth, and ActivityNet results (the detections json `eval` and `demo` write). The split and
tIoU thresholds are chosen as `evaluate` chooses them. Needs matplotlib:
pip install "actionformer[plot]".

examples:
  actionformer plot timeline gt.json preds.json --video video_test_0000004 --out v4.png
  actionformer plot timeline gt.json preds.json --video v1 --top-k 3 --min-score 0.1 --out v1.png
  actionformer plot pr thumos14.json preds.json --out pr.png
  actionformer plot pr thumos14.json preds.json --per-class --classes BasketballDunk Diving --out pr.png
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actionformer.analysis.inputs import AnalysisInputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.analysis.inputs import add_input_arguments

    kinds = parser.add_subparsers(dest="kind", metavar="{timeline,pr}", required=True)
    timeline = kinds.add_parser("timeline", help="ground truth and the top predictions per class of one video",
                                description="One video on one time axis: per class its ground truth and its "
                                            "top predictions, opacity = score.")
    add_input_arguments(timeline)
    timeline.add_argument("--video", required=True, metavar="ID", help="the video to draw")
    timeline.add_argument("--top-k", type=int, default=5, metavar="K", help="predictions per class (default 5)")
    timeline.add_argument("--max-classes", type=int, default=8, metavar="M",
                          help="classes drawn: those with ground truth first, then by best score (default 8)")
    timeline.add_argument("--min-score", type=float, default=0.0, help="hide predictions scored below this")
    pr = kinds.add_parser("pr", help="precision-recall curves, one per tIoU threshold",
                          description="Precision-recall curves (interpolated precision), one line per tIoU "
                                      "threshold; the mean over classes, and with --per-class one panel per class.")
    add_input_arguments(pr)
    pr.add_argument("--per-class", action="store_true", help="add one panel per class (at most 36; see --classes)")
    pr.add_argument("--classes", nargs="+", default=None, metavar="NAME", help="the classes to draw with --per-class")
    for sub in (timeline, pr):
        sub.add_argument("--out", required=True, metavar="FILE.png", help="picture to write (.png, .svg, .pdf)")
        sub.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
        sub.set_defaults(_run=run)  # the subparser's defaults win over the top parser's


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _figure(args: argparse.Namespace, inputs: "AnalysisInputs") -> object:
    from actionformer.analysis.matched import match_predictions
    from actionformer.visualize import plot_pr_curves, plot_pr_curves_per_class, plot_timeline, select_classes

    if args.kind == "timeline":
        if args.top_k < 1 or args.max_classes < 1:
            raise ValueError("--top-k and --max-classes must be at least 1")
        return plot_timeline(inputs.gt, inputs.preds, args.video, args.top_k, args.max_classes, args.min_score)
    matched = match_predictions(inputs.gt, inputs.preds, inputs.tiou_thresholds)
    if not args.per_class:
        if args.classes:
            raise ValueError("--classes needs --per-class")
        return plot_pr_curves(matched)
    classes, notes = select_classes(matched, args.classes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return plot_pr_curves_per_class(matched, classes)


def run(args: argparse.Namespace) -> int:
    from actionformer.analysis.inputs import check_output, load_inputs
    from actionformer.evaluation import EvaluationInputError
    from actionformer.visualize import MissingPlotDependency, save_figure

    refused = check_output(args.out, args.overwrite)
    if refused:
        return _error(refused)
    try:
        inputs = load_inputs(args, need_thresholds=args.kind != "timeline")
        figure = _figure(args, inputs)
    except (EvaluationInputError, ValueError, MissingPlotDependency) as exc:
        return _error(str(exc))
    for note in inputs.notes:
        print(note, file=sys.stderr)
    try:
        save_figure(figure, args.out)
    except (OSError, ValueError) as exc:  # ValueError: an extension matplotlib cannot write
        return _error(f"cannot write {args.out}: {exc}")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
