"""Score a prediction file against a ground-truth file with the task's evaluator.

Detection (the default task): mAP per tIoU threshold, Recall@1x/@5x, average mAP (identical to
the official ActivityNet evaluator and the original ActionFormer release). Ground truth:
ActivityNet / original-release json ({"database": {video: {"subset", "annotations": [{"segment",
"label", "label_id"}]}}}). Predictions: the official ActivityNet submission format ({"results":
{video: [{"label", "score", "segment"}]}}) or the original release's ({"database": {video:
[{"segment", "label_id", "scores"}]}}); labels by name or id.

Spotting (--task spotting, point events): SoccerNet's tight and loose average-mAP (with the
visible / unshown variants, identical to SoccerNet's evaluator) and the frame-tolerance mAP of
E2E-Spot. GT: our point json ({"database": {video: {"annotations": [{"time", "label"}]}}}) or a
SoccerNet labels root (<game>/Labels-v2.json); PRED: our point json ({"results": {video:
[{"time", "label", "score"}]}}) or a SoccerNet predictions root (<game>/results_spotting.json).

The task comes from --task, else from --config (its model's task and its dataset_name), else
detection.

examples:
  actionformer evaluate thumos14.json preds.json --split test
  actionformer evaluate anet1.3.json preds.json --split validation --per-class --out map.json
  actionformer evaluate gt.json preds.json --tiou 0.5 0.75 0.95
  actionformer evaluate gt.json preds.json --config configs/thumos_i3d.yaml
  actionformer evaluate --task spotting SoccerNet/ predictions/ --per-class
  actionformer evaluate --task spotting points.json preds.json --metric loose --tolerances 1 2 --tolerance-unit seconds
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from actionformer.evaluation.evaluators import EVALUATORS

    parser.add_argument("ground_truth", metavar="GT", help="ground-truth annotation file (spotting: or a "
                        "SoccerNet labels folder)")
    parser.add_argument("predictions", metavar="PRED", help="prediction file (spotting: or a SoccerNet "
                        "predictions folder)")
    parser.add_argument("--task", default=None, choices=EVALUATORS.names(),
                        help="the task whose evaluator scores the files (default: the config's, else detection)")
    parser.add_argument("--config", default=None, metavar="CONFIG",
                        help="a run's YAML config: its model's task picks the evaluator, its dataset_name "
                             "the default thresholds")
    parser.add_argument("--out", default=None, metavar="FILE.json", help="write the results as json")
    for name in EVALUATORS.names():
        EVALUATORS.get(name).add_file_arguments(parser.add_argument_group(f"{name} options"))


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _write_json(path: str, payload: Any) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    from actionformer.atomic_files import atomic_write

    with atomic_write(Path(path)) as handle:
        json.dump(payload, handle, indent=2)


def _task(args: argparse.Namespace) -> str:
    """--task, else the config's (its dataset_name also sets --dataset when that is unset)."""
    if args.config is None:
        return args.task or "detection"
    from actionformer.config import load_config
    from actionformer.config.components import task_of

    cfg = load_config(args.config)
    args.loaded_config = cfg  # the task's evaluator may read its options (e.g. eval_cfg) from it
    if getattr(args, "dataset", None) is None and cfg.get("dataset_name") in ("thumos", "anet", "epic", "ego4d"):
        args.dataset = cfg["dataset_name"]  # the benchmark's thresholds
    task = task_of(cfg["model_name"])
    if args.task is not None and args.task != task:
        raise ValueError(f"--task {args.task} contradicts the config's model {cfg['model_name']} (task {task})")
    return task


def run(args: argparse.Namespace) -> int:
    from actionformer.config import ConfigurationError
    from actionformer.evaluation import EvaluationInputError
    from actionformer.evaluation.evaluators import EVALUATORS

    try:
        evaluator = EVALUATORS.get(_task(args))
        score = evaluator.score_files(args)
    except (EvaluationInputError, ValueError, ConfigurationError, KeyError) as exc:
        return _error(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    for message in score.notes:
        print(message, file=sys.stderr)
    for message in score.warnings:
        print(f"warning: {message}", file=sys.stderr)
    print(score.report)
    if args.out:
        try:
            _write_json(args.out, score.payload)
        except OSError as exc:
            return _error(f"cannot write {args.out}: {exc}")
        print(f"results written to {args.out}", file=sys.stderr)
    return 0
