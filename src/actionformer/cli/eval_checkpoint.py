"""Evaluate a checkpoint (or an experiment folder) on the config's validation split.

  actionformer eval configs/thumos_i3d.yaml ckpt/thumos_i3d_run1/            # best, else last
  actionformer eval configs/thumos_i3d.yaml ckpt/thumos_i3d_run1/ --epoch 34
  actionformer eval configs/thumos_i3d.yaml thumos_i3d_reproduce.pth.tar     # a released checkpoint
  actionformer eval CONFIG CKPT --save-only --out test_detections.json        # for test servers

The EMA weights are evaluated when the checkpoint has them (as the original). Detections are
written as JSON (seconds, label names and ids, scores), the metrics next to them as
<name>_metrics.json, and the original's mAP table is printed, ending with 'Average mAP: XX.XX (%)'.
A spotting model (SnapFormer) writes point events instead and prints the spotting table;
``--format soccernet`` also writes SoccerNet's <game>/results_spotting.json per game.
Runs under torchrun too: the videos are split across processes and gathered.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Sequence


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .train import add_config_arguments

    parser.add_argument("config", help="path to a YAML config file")
    parser.add_argument("ckpt", help="checkpoint file, or experiment folder (model_best, else last, else newest epoch)")
    parser.add_argument("--epoch", type=int, default=None, help="in a folder, evaluate epoch_<E>.pth.tar")
    parser.add_argument("--topk", type=int, default=0, help="keep at most K detections per video (test_cfg.max_seg_num)")
    parser.add_argument("--save-only", action="store_true", help="write detections without scoring them")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="detections JSON (default: next to the checkpoint, <name>_detections.json)")
    parser.add_argument("--no-ema", action="store_true", help="evaluate the raw weights, not the EMA ones")
    parser.add_argument("--format", choices=["auto", "json", "soccernet"], default="auto",
                        help="spotting models: also write SoccerNet's layout, <game>/results_spotting.json per "
                             "game, into <name>_soccernet/ next to --out (soccernet); auto = soccernet for "
                             "the soccernet dataset, json (our point json only) otherwise")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_config_arguments(parser)


def resolve_checkpoint(path: Path, epoch: Optional[int] = None) -> Path:
    """A checkpoint file; for a folder the epoch's file, else model_best, else last, else the newest."""
    from actionformer.engine.checkpoint import BEST_NAME, epoch_file_name, latest_checkpoint

    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if epoch is not None:
        found = path / epoch_file_name(epoch)
        if not found.is_file():
            raise FileNotFoundError(f"{found}: no checkpoint of epoch {epoch} in {path}")
        return found
    if (path / BEST_NAME).is_file():
        return path / BEST_NAME
    found = latest_checkpoint(path)
    if found is None:
        raise FileNotFoundError(f"{path}: no checkpoint (*.pth.tar) in this folder")
    return found


def default_output(ckpt: Path) -> Path:
    stem = ckpt.name.replace(".pth.tar", "").replace(".pth", "")
    return ckpt.parent / f"{stem}_detections.json"


def metrics_path(out: Path) -> Path:
    """``x_detections.json`` -> ``x_metrics.json``; any other ``y.json`` -> ``y_metrics.json``."""
    name = out.name
    for suffix in ("_detections.json", ".json"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)] + "_metrics.json")
    return out.with_name(name + "_metrics.json")


def run(args: argparse.Namespace) -> int:
    from actionformer.threads import prefer_passive_wait

    prefer_passive_wait()  # before torch is imported (by the config loader)
    from actionformer.config import ConfigurationError

    from .train import apply_threads, collect_overrides, load_run_config

    overrides = collect_overrides(args)
    if args.topk and args.topk > 0:
        overrides.append(f"test_cfg.max_seg_num={args.topk}")
    try:
        cfg = load_run_config(args.config, overrides)
        ckpt = resolve_checkpoint(Path(args.ckpt), args.epoch)
    except (ConfigurationError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problem = apply_threads(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return evaluate_checkpoint(cfg, ckpt, args)


def evaluate_checkpoint(cfg: Dict[str, Any], ckpt: Path, args: argparse.Namespace) -> int:
    """Check the device and the validation split's data (headers; see cli/preflight.py), then
    evaluate; returns the exit code."""
    from actionformer.data import import_custom_modules
    from actionformer.engine.distributed import cleanup_distributed, init_distributed

    from . import preflight

    try:
        import_custom_modules(cfg)
        device = preflight.resolve_run_device(cfg)
        excluded = preflight.check_run_data(cfg, preflight.data_splits(cfg, ["val"]),
                                            str(getattr(args, "config", "the config")))
    except preflight.PreflightError as exc:
        return preflight.fail(exc)
    init_distributed(device)
    try:
        return _evaluate(cfg, ckpt, args, device, excluded)
    finally:
        cleanup_distributed()


def _evaluate(cfg: Dict[str, Any], ckpt: Path, args: argparse.Namespace, device: Any,
              excluded: Sequence[str] = ()) -> int:
    from actionformer.data import DataError
    from actionformer.engine import fix_random_seed
    from actionformer.config import ConfigurationError
    from actionformer.engine.build import (
        build_dataset, build_evaluator, build_model, class_name_list, fuse_scores_fn, label_names,
    )
    from actionformer.engine.distributed import get_world_size, is_main_process
    from actionformer.engine.loaders import make_val_loader
    from actionformer.engine.loops import gather_detections, predict
    from actionformer.engine.results_io import write_json_atomic, write_results_json
    from actionformer.modeling import load_checkpoint
    from actionformer.modeling.weights import CheckpointError

    fix_random_seed(int(cfg["init_rand_seed"]), include_cuda=True)
    try:
        val_set = build_dataset(cfg, False, cfg["val_split"], excluded)
        model = build_model(cfg, class_names=class_name_list(val_set))
    except (DataError, ConfigurationError) as exc:  # test_cfg names a class the dataset does not have
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        load_checkpoint(ckpt, model, use_ema=not args.no_ema, strict=True)
    except CheckpointError as exc:  # not a checkpoint, truncated, or another config's weights
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model.to(device)
    if is_main_process():
        print(f"=> evaluating {ckpt} ({'raw' if args.no_ema else 'EMA'} weights) on {len(val_set)} videos "
              f"of {', '.join(cfg['val_split'])}, {get_world_size()} process(es), {device}")
    loader = make_val_loader(val_set, _rank(), get_world_size())
    # detections in float32 whatever trainer.amp says: scores and boundaries keep full precision
    try:
        show = is_main_process() and not getattr(args, "no_progress", False)
        detections = gather_detections(predict(loader, model, None, show_progress=show))
    except DataError as exc:  # found when read (NaN / Inf), dataset.on_bad_video: error
        print(f"error: {exc}\nFix the file, or set dataset.on_bad_video: skip to score without it", file=sys.stderr)
        return 1
    if not is_main_process():
        return 0
    fuse = fuse_scores_fn(cfg)
    if fuse is not None:
        detections = fuse(detections, cfg["test_cfg"]["ext_score_file"])
    out = Path(args.out) if args.out else default_output(ckpt)
    names = label_names(val_set)
    from actionformer.evaluation import EvaluationInputError

    try:
        write_results_json(detections, out, [names.get(i, str(i)) for i in range(max(names, default=-1) + 1)])
        print(f"=> detections of {len(detections)} videos written to {out}")
        _write_soccernet_layout(cfg, detections, names, out, getattr(args, "format", "auto"))
    except EvaluationInputError as exc:  # --format soccernet on videos that are not '<game>/<half>'
        print(f"error: --format soccernet: {exc}; use --format json for this dataset", file=sys.stderr)
        return 2
    except OSError as exc:  # --out in a folder that cannot be written, or its _soccernet folder a file
        print(f"error: cannot write the predictions of --out {out}: {exc}; choose another --out", file=sys.stderr)
        return 2
    if args.save_only:
        return 0
    evaluator = build_evaluator(cfg, val_set, cfg["val_split"])
    evaluator.evaluate(detections)
    for message in evaluator.warnings:
        print(f"Warning: {message}")
    metrics = dict(evaluator.metrics(), checkpoint=str(ckpt), weights="raw" if args.no_ema else "ema")
    write_json_atomic(metrics, metrics_path(out))
    print(f"=> metrics written to {metrics_path(out)}")
    print(evaluator.report())  # last, so that the output ends with its headline ('Average mAP: XX.XX (%)')
    return 0


def soccernet_output(out: Path) -> Path:
    """``x_detections.json`` -> the folder ``x_soccernet`` beside it."""
    name = out.name
    for suffix in ("_detections.json", ".json"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)] + "_soccernet")
    return out.with_name(name + "_soccernet")


def _write_soccernet_layout(cfg: Dict[str, Any], detections: Any, names: Dict[int, str], out: Path,
                            fmt: str) -> None:
    """Point events of ``<game>/<half>`` videos also as SoccerNet's per-game results files."""
    from actionformer.engine.results_io import holds_points

    wanted = fmt == "soccernet" or (fmt == "auto" and cfg.get("dataset_name") == "soccernet")
    if wanted and not holds_points(detections) and fmt == "soccernet":
        print("note: --format soccernet: this model detects segments, not point events; nothing written in "
              "SoccerNet's layout", file=sys.stderr)
    if not (wanted and holds_points(detections)):
        return
    from actionformer.evaluation.spotting import write_soccernet_predictions

    root = soccernet_output(out)
    classes = [names.get(i, str(i)) for i in range(max(names, default=-1) + 1)]
    from actionformer.evaluation.spotting.soccernet import PREDICTION_FILE, find_games

    before = set(find_games(str(root), PREDICTION_FILE)) if root.is_dir() else set()
    written = write_soccernet_predictions(root, detections, classes, overwrite=True)
    print(f"=> SoccerNet results (<game>/results_spotting.json) written under {root}")
    stale = sorted(before - {os.path.relpath(os.path.dirname(p), root).replace(os.sep, "/") for p in written})
    if stale:  # an earlier eval's games (another split): they would be read, or submitted, with these
        print(f"warning: {root} also holds results of {len(stale)} game(s) not in this evaluation, from an "
              f"earlier run (e.g. {stale[0]}); delete them, or pass another --out, before scoring or "
              "submitting the folder", file=sys.stderr)


def _rank() -> int:
    from actionformer.engine.distributed import get_rank

    return get_rank()
