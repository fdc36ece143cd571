"""The ground-truth and prediction files of ``actionformer evaluate``, read the way it reads them.

``plot`` and ``analyze`` take the same two files and the same options (``--split``, ``--tiou``,
``--dataset``) and pick the split and thresholds with ``evaluate``'s own rules, so a chart
shows the numbers ``evaluate`` prints.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from actionformer.evaluation.errors import EvaluationInputError
from actionformer.evaluation.ground_truth import (
    GroundTruth, load_ground_truth, read_json_file, split_of_predicted_videos,
)
from actionformer.evaluation.predictions import Predictions, to_predictions
from actionformer.evaluation.thresholds import (
    canonical_dataset_name, guess_dataset_name, tiou_thresholds_from_arguments,
)


@dataclass
class AnalysisInputs:
    """Ground truth of the chosen split, validated predictions, thresholds, and how they were chosen."""

    gt: GroundTruth
    preds: Predictions
    tiou_thresholds: np.ndarray
    dataset: str  # thumos, anet, epic, ego4d: picks DETAD's default bins
    notes: List[str] = field(default_factory=list)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """GT.json PRED.json and the options that choose the split and the thresholds."""
    parser.add_argument("ground_truth", metavar="GT.json", help="ground-truth annotation file (what evaluate reads)")
    parser.add_argument("predictions", metavar="PRED.json", help="prediction file (what evaluate reads)")
    parser.add_argument("--split", nargs="+", default=None, metavar="SUBSET",
                        help="subset(s) of the ground truth, any case; default: the one subset the predicted "
                             "videos belong to")
    parser.add_argument("--tiou", nargs="+", type=float, default=None, metavar="T",
                        help="tIoU thresholds (default: the dataset's, see --dataset)")
    parser.add_argument("--dataset", default=None, metavar="NAME",
                        help="thumos, anet, epic or ego4d: default thresholds and bins (default: guessed from "
                             "the ground-truth file name, else anet)")


def load_inputs(args: argparse.Namespace, need_thresholds: bool = True) -> AnalysisInputs:
    """Read and check both files; raises ``EvaluationInputError`` / ``ValueError`` with the file named.

    Without ``need_thresholds`` (a timeline has no use for them) none are chosen or noted.
    """
    notes: List[str] = []
    thresholds = tiou_thresholds_from_arguments(args, notes) if need_thresholds else np.zeros(0)
    data = read_json_file(args.ground_truth, "ground-truth")
    if not isinstance(data, dict) or not isinstance(data.get("database"), dict):
        raise EvaluationInputError(f"{args.ground_truth}: expected a json object with a 'database' mapping of "
                                   "videos (the ActivityNet / original-release ground-truth format)")
    everything = load_ground_truth(data, split=None, source_name=args.ground_truth)
    preds = to_predictions(args.predictions, everything.label_to_id)
    if len(preds) == 0:
        raise EvaluationInputError(f"{args.predictions}: the file holds no predictions")
    split = args.split if args.split is not None else split_of_predicted_videos(data["database"], preds.videos, notes)
    gt = load_ground_truth(data, split=split, source_name=args.ground_truth)
    return AnalysisInputs(gt, preds, thresholds, _dataset(args), notes)


def _dataset(args: argparse.Namespace) -> str:
    if args.dataset is not None:
        return canonical_dataset_name(args.dataset)
    return guess_dataset_name(os.path.basename(args.ground_truth)) or "anet"


def check_output(path: str, overwrite: bool) -> Optional[str]:
    """An error message when ``path`` exists and may not be replaced, else None."""
    if os.path.exists(path) and not overwrite:
        return f"{path} exists; pass --overwrite to replace it"
    return None
