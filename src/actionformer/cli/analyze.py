"""Error analysis of a prediction file (DETAD, Alwassel et al., ECCV 2018): what the false
positives are and what removing each kind would gain, and how mAP depends on action length and
coverage. Prints the tables and writes into --out: report.txt, analysis.json,
false_positives.png and sensitivity.png (the pictures need pip install "actionformer[plot]";
--no-plots skips them).

GT and PRED are the files `actionformer evaluate` reads; the split and tIoU thresholds are
chosen as it chooses them. As DETAD, AP is normalized (AP_N) unless --plain-ap. See
docs/analysis.md.

examples:
  actionformer analyze thumos14.json preds.json --out analysis/
  actionformer analyze anet1.3.json preds.json --split validation --out analysis/ --overwrite
  actionformer analyze gt.json preds.json --tiou 0.5 --length-bins 0 5 10 30 inf --out analysis/
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

OUTPUT_FILES = ("report.txt", "analysis.json", "false_positives.png", "sensitivity.png")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.analysis.inputs import add_input_arguments

    add_input_arguments(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the report, json and pictures")
    parser.add_argument("--top-factor", type=int, default=10, metavar="K",
                        help="analyse each class's top K x (its instances) predictions (DETAD: 10)")
    parser.add_argument("--plain-ap", action="store_true",
                        help="use the evaluator's AP rather than DETAD's normalized AP_N")
    parser.add_argument("--length-bins", nargs="+", type=float, default=None, metavar="S",
                        help="length bin edges in seconds (default DETAD's: thumos, epic, ego4d 0 3 6 12 18 "
                             "inf; anet and others 0 30 60 120 180 inf)")
    parser.add_argument("--coverage-bins", nargs="+", type=float, default=None, metavar="F",
                        help="coverage (length / duration) bin edges (default DETAD's: thumos, epic, ego4d "
                             "0 .02 .04 .06 .08 1; anet and others 0 .2 .4 .6 .8 1)")
    parser.add_argument("--no-plots", action="store_true", help="write only report.txt and analysis.json")
    parser.add_argument("--overwrite", action="store_true", help="replace the files of an earlier analysis in --out")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _write_text(path: str, text: str) -> None:
    from actionformer.atomic_files import atomic_write

    with atomic_write(Path(path)) as handle:
        handle.write(text)


def _bins(args: argparse.Namespace, dataset: str) -> Dict[str, Any]:
    from actionformer.analysis.sensitivity import default_bins

    bins = default_bins(dataset)
    if args.length_bins is not None:
        bins["length"] = tuple(args.length_bins)
    if args.coverage_bins is not None:
        bins["coverage"] = tuple(args.coverage_bins)
    return bins


def _check_plotting(args: argparse.Namespace) -> None:
    """Fail before any work when the pictures are asked for and matplotlib is missing."""
    if not args.no_plots:
        from actionformer.visualize import require_matplotlib

        require_matplotlib()


def run(args: argparse.Namespace) -> int:
    from actionformer.analysis import (
        analyze_false_positives,
        analyze_sensitivity,
        format_false_positives,
        format_sensitivity,
        match_predictions,
    )
    from actionformer.analysis.inputs import load_inputs
    from actionformer.evaluation import EvaluationInputError
    from actionformer.visualize import MissingPlotDependency

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        return _error(f"--out {args.out} is a file; give a folder for the report, json and pictures")
    targets = [os.path.join(args.out, name) for name in OUTPUT_FILES]
    existing = [path for path in targets if os.path.exists(path)]
    if existing and not args.overwrite:
        return _error(f"{args.out} already holds an analysis ({', '.join(map(os.path.basename, existing))}); "
                      "pass --overwrite to replace it or choose another --out")
    if args.top_factor < 1:
        return _error(f"--top-factor must be at least 1, got {args.top_factor}")
    try:
        _check_plotting(args)
    except MissingPlotDependency as exc:
        return _error(f"{exc} (or pass --no-plots for the tables and json only)")
    try:
        inputs = load_inputs(args)
        matched = match_predictions(inputs.gt, inputs.preds, inputs.tiou_thresholds)
        normalize = not args.plain_ap
        false_positives = analyze_false_positives(matched, args.top_factor, normalize)
        sensitivity = analyze_sensitivity(matched, _bins(args, inputs.dataset), normalize)
    except (EvaluationInputError, ValueError) as exc:
        return _error(str(exc))
    for note in inputs.notes:
        print(note, file=sys.stderr)
    if matched.num_ignored:
        print(f"note: {matched.num_ignored} prediction(s) of classes without ground truth in this split were "
              "ignored, as evaluate ignores them", file=sys.stderr)
    report = format_false_positives(false_positives) + "\n\n" + format_sensitivity(sensitivity) + "\n"
    print(report, end="")
    written: List[str] = []
    try:
        os.makedirs(args.out, exist_ok=True)
        _write_text(targets[0], report)
        payload = {"ground_truth": args.ground_truth, "predictions": args.predictions,
                   "split": list(inputs.gt.split) if inputs.gt.split else None,
                   "false_positives": false_positives.to_dict(), "sensitivity": sensitivity.to_dict()}
        _write_text(targets[1], json.dumps(payload, indent=2) + "\n")
        written += targets[:2]
        if not args.no_plots:
            from actionformer.visualize import plot_false_positives, plot_sensitivity, save_figure

            save_figure(plot_false_positives(false_positives), targets[2])
            save_figure(plot_sensitivity(sensitivity), targets[3])
            written += targets[2:]
    except OSError as exc:
        return _error(f"cannot write into {args.out}: {exc}")
    print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0
