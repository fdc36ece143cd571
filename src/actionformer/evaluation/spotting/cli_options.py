"""``actionformer evaluate --task spotting GT PRED``: its options and the scoring of two files/folders.

The options share the parser with the other tasks' options (``--split`` and ``--per-class`` are
the detection group's, read here too; on a SoccerNet labels folder ``--split`` keeps the games of
``--config``'s ``dataset.split_files``). An option left unset takes the value of ``--config``'s
``eval_cfg``, else the key's default.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Dict, List, Sequence, Set

from ..errors import EvaluationInputError


def add_spotting_file_arguments(group: Any) -> None:
    group.add_argument("--metric", default=None, choices=["tight", "loose", "frame"],
                       help="spotting headline: tight (SoccerNet a-mAP 1-5 s, default), loose (5-60 s) or "
                            "frame (frame-tolerance mAP averaged over --tolerances); all are printed")
    group.add_argument("--framerate", type=int, default=None, metavar="FPS",
                       help="grid of the SoccerNet a-mAP, frames per second (default 2, as the challenge)")
    group.add_argument("--tolerances", nargs="+", type=float, default=None, metavar="T",
                       help="tolerances of the frame-tolerance mAP (default: 0 1 2 4)")
    group.add_argument("--tolerance-unit", default=None, choices=["steps", "seconds"],
                       help="unit of --tolerances (default steps, of --step-fps)")
    group.add_argument("--step-fps", type=float, default=None, metavar="FPS",
                       help="steps per second for --tolerance-unit steps (default: the config's feature "
                            "rate, else --framerate)")
    group.add_argument("--classes", nargs="+", default=None, metavar="NAME",
                       help="class names in label-id order (default: --config's dataset.class_names, else "
                            "SoccerNet-v2's 17 for a SoccerNet folder, else the ground truth's labels by "
                            "label_id, else by name)")


def _options(args: argparse.Namespace) -> Dict[str, Any]:
    from .evaluator import _feature_rate, evaluator_options

    cfg = getattr(args, "loaded_config", None)
    options = evaluator_options(cfg)
    for name, flag in (("metric", "metric"), ("framerate", "framerate"), ("frame_tolerances", "tolerances"),
                       ("tolerance_unit", "tolerance_unit"), ("step_fps", "step_fps")):
        if getattr(args, flag, None) is not None:
            options[name] = getattr(args, flag)
    if options["framerate"] < 1:
        raise ValueError(f"--framerate must be a positive integer, got {options['framerate']}")
    if any(t < 0 for t in options["frame_tolerances"]):
        raise ValueError(f"--tolerances must be >= 0, got {options['frame_tolerances']}")
    if options["step_fps"] is None and cfg is not None:
        options["step_fps"] = _feature_rate(cfg, options["framerate"])
    if options["step_fps"] is not None and options["step_fps"] <= 0:
        raise ValueError(f"--step-fps must be positive, got {options['step_fps']}")
    return options


def _classes(args: argparse.Namespace) -> Any:
    """--classes, else --config's ``dataset.class_names`` (a soccernet config's classes), else None."""
    if args.classes is not None:
        return args.classes
    cfg = getattr(args, "loaded_config", None)
    names = ((cfg or {}).get("dataset") or {}).get("class_names")
    return list(names) if names else None


def _split_games(args: argparse.Namespace, split: Sequence[str]) -> Set[str]:
    """The games of ``split``'s subsets, from --config's ``dataset.split_files`` (read as the
    soccernet dataset reads them: relative paths from ``dataset.root``, else from GT)."""
    cfg = getattr(args, "loaded_config", None) or {}
    dataset = cfg.get("dataset") or {}
    split_files = dataset.get("split_files")
    if not split_files:
        raise ValueError("--split on a SoccerNet labels folder needs --config with dataset.split_files (the "
                         "game list of each subset)")
    by_name = {str(name).lower(): name for name in split_files}
    root = dataset.get("root") or args.ground_truth
    games: Set[str] = set()
    for subset in split:
        if subset.lower() not in by_name:
            raise ValueError(f"--split {subset}: the config's dataset.split_files has no such subset "
                             f"(it has {sorted(split_files)})")
        path = split_files[by_name[subset.lower()]]
        path = path if os.path.isabs(path) else os.path.join(root, path)
        try:
            with open(path, "r", encoding="utf-8") as fid:
                lines: List[str] = [line.strip().strip("/") for line in fid.read().splitlines()]
        except OSError as exc:
            raise EvaluationInputError(f"{path}: cannot read the game list of subset {subset!r} "
                                       f"(dataset.split_files): {exc.strerror or exc}") from None
        games.update(g for g in lines if g and not g.startswith("#"))
    return games


def _keep_split(ground_truth: Dict[str, Any], args: argparse.Namespace, split: Sequence[str]) -> None:
    """A SoccerNet labels folder holds every subset's games: keep those of --split."""
    games = _split_games(args, split)
    videos = {v: e for v, e in ground_truth["videos"].items() if v.rpartition("/")[0] in games}
    if not videos:
        raise EvaluationInputError(f"{args.ground_truth}: none of the {len(games)} game(s) of --split "
                                   f"{' '.join(split)} has a Labels-v2.json there")
    ground_truth["videos"] = videos


def score_spotting_files(evaluator_cls: Any, args: argparse.Namespace) -> Any:
    """Score ``args.predictions`` (our json or a SoccerNet folder) against ``args.ground_truth``."""
    from ..evaluators import FileScore
    from .files import load_spotting_ground_truth, load_spotting_predictions

    options = _options(args)
    ground_truth = load_spotting_ground_truth(args.ground_truth, classes=_classes(args),
                                              split=getattr(args, "split", None))
    if getattr(args, "split", None) and os.path.isdir(args.ground_truth):
        _keep_split(ground_truth, args, args.split)
    detections = load_spotting_predictions(args.predictions, ground_truth["classes"])
    if not any(len(d["scores"]) for d in detections):
        raise EvaluationInputError(f"{args.predictions}: holds no predictions of the ground truth's classes "
                                   f"({', '.join(ground_truth['classes'][:5])}, ...)")
    evaluator = evaluator_cls(ground_truth, **options)
    evaluator.evaluate(detections, keep_order=True)  # a file's order decides, as SoccerNet's evaluator
    result = evaluator.result
    notes = []
    if options["tolerance_unit"] == "steps":
        notes.append(f"note: frame-tolerance mAP on a grid of {evaluator.step_fps:g} steps per second "
                     "(set --step-fps or --tolerance-unit seconds)")
    payload = evaluator.metrics()
    return FileScore(evaluator.report(per_class=bool(getattr(args, "per_class", False))), payload, notes,
                     list(detections.warnings) + list(result.warnings))
