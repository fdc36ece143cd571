"""Score a prediction file against a ground-truth annotation file: mAP per tIoU threshold,
Recall@1x/@5x, average mAP (identical to the official ActivityNet evaluator and the original
ActionFormer release).

Ground truth: ActivityNet / original-release json ({"database": {video: {"subset",
"annotations": [{"segment", "label", "label_id"}]}}}). Predictions: the official ActivityNet
submission format ({"results": {video: [{"label", "score", "segment"}]}}) or the original
release's ({"database": {video: [{"segment", "label_id", "scores"}]}}); labels by name or id.

examples:
  actionformer evaluate thumos14.json preds.json --split test
  actionformer evaluate anet1.3.json preds.json --split validation --per-class --out map.json
  actionformer evaluate gt.json preds.json --tiou 0.5 0.75 0.95
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ground_truth", metavar="GT.json", help="ground-truth annotation file")
    parser.add_argument("predictions", metavar="PRED.json", help="prediction file")
    parser.add_argument("--split", nargs="+", default=None, metavar="SUBSET",
                        help="subset(s) of the ground truth to score against, any case (e.g. test, validation); "
                             "default: the one subset the predicted videos belong to")
    parser.add_argument("--tiou", nargs="+", type=float, default=None, metavar="T",
                        help="tIoU thresholds (default: the dataset's, see --dataset)")
    parser.add_argument("--dataset", default=None, metavar="NAME",
                        help="thumos, anet, epic or ego4d: picks the default thresholds "
                             "(default: guessed from the ground-truth file name, else anet's 0.5:0.05:0.95)")
    parser.add_argument("--top-k", nargs="+", type=int, default=[1, 5], metavar="K",
                        help="Recall@kx for these k (default: 1 5)")
    parser.add_argument("--per-class", action="store_true", help="also print AP per class, best first")
    parser.add_argument("--out", default=None, metavar="FILE.json", help="write the results as json")
    parser.add_argument("--keep-duplicates", action="store_true",
                        help="keep duplicate and shorter-than-1e-3 s ground-truth instances, as the official "
                             "ActivityNet script does (the original release removes them; default)")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _thresholds(args: argparse.Namespace):
    import numpy as np

    from actionformer.evaluation.thresholds import default_tiou_thresholds, guess_dataset_name

    if args.tiou is not None:
        bad = [t for t in args.tiou if not 0.0 < t <= 1.0]
        if bad:
            raise ValueError(f"--tiou thresholds must lie in (0, 1], got {bad}")
        return np.asarray(args.tiou, dtype=np.float64)
    if args.dataset is not None:
        return default_tiou_thresholds(args.dataset)
    guessed = guess_dataset_name(os.path.basename(args.ground_truth))
    if guessed is None:
        print("note: dataset not recognised from the file name; using ActivityNet's thresholds 0.5:0.05:0.95 "
              "(set --dataset or --tiou)", file=sys.stderr)
        guessed = "anet"
    return default_tiou_thresholds(guessed)


def _choose_split(database, predicted_videos: List[str]) -> Optional[List[str]]:
    """The split when --split is not given: all videos if the file has one subset, else the
    single subset the predicted videos belong to."""
    from actionformer.evaluation import EvaluationInputError

    subsets = {str(v.get("subset")) for v in database.values() if isinstance(v, dict)}
    if len(subsets) <= 1:
        return None
    hit = {str(database[v].get("subset")) for v in predicted_videos if v in database}
    if len(hit) == 1:
        chosen = hit.pop()
        print(f"note: scoring against subset '{chosen}', the one the predicted videos belong to "
              "(set --split to choose)", file=sys.stderr)
        return [chosen]
    raise EvaluationInputError(
        f"the ground truth holds subsets {sorted(subsets)} and the predictions cover "
        f"{sorted(hit) if hit else 'none of its videos'}; choose one with --split")


def _write_json(path: str, payload) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf8") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    from actionformer.evaluation import (EvaluationInputError, evaluate_detection, format_report,
                                         load_ground_truth, to_predictions)
    from actionformer.evaluation.ground_truth import read_json_file

    try:
        thresholds = _thresholds(args)
        if any(k < 1 for k in args.top_k):
            raise ValueError(f"--top-k values must be positive integers, got {args.top_k}")
        data = read_json_file(args.ground_truth, "ground-truth")
        if not isinstance(data, dict):
            raise EvaluationInputError(f"{args.ground_truth}: expected a json object with a 'database' mapping")
        everything = load_ground_truth(data, split=None, source_name=args.ground_truth)
        preds = to_predictions(args.predictions, everything.label_to_id)
        if len(preds) == 0:
            raise EvaluationInputError(f"{args.predictions}: the file holds no predictions")
        split = args.split if args.split is not None else _choose_split(data["database"], preds.videos)
        ground_truth = load_ground_truth(data, split=split, remove_duplicates=not args.keep_duplicates,
                                         source_name=args.ground_truth)
        # named after the file, as the original (the ground truth's source is the file's path)
        result = evaluate_detection(ground_truth, preds, thresholds, args.top_k)
    except (EvaluationInputError, ValueError) as exc:
        return _error(str(exc))
    for message in result.warnings:
        print(f"warning: {message}", file=sys.stderr)
    print(format_report(result, per_class=args.per_class))
    if args.out:
        try:
            _write_json(args.out, result.to_dict())
        except OSError as exc:
            return _error(f"cannot write {args.out}: {exc}")
        print(f"results written to {args.out}", file=sys.stderr)
    return 0
