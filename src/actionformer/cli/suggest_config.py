"""Suggest config values from the training data: pyramid levels, regression ranges, max_seq_len,
attention window, and flags (point events, very short actions, heavy overlap, few actions).

Give a config (its dataset keys say where the annotations and features are) or an annotation
file (then --feat-stride / --fps say how seconds become feature steps). Only the training
split is read. Prints a table with the evidence of each value, a text histogram of action
half-spans against the suggested ranges, and what could not be checked; --write PATCH.yaml
writes the suggested keys (with the matching --set arguments as comments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a YAML config, or an annotation file (.json, or .csv with --video-list)")
    parser.add_argument("--feat-stride", type=float, help="frames between features (annotation file; default 16)")
    parser.add_argument("--fps", type=float, help="frame rate of every video (default: each video's own)")
    parser.add_argument("--train-split", action="append", help="training subset(s) (default: the config's; for "
                        "an annotation file 'training', or 'validation' when the subsets are THUMOS14's "
                        "Validation/Test)")
    parser.add_argument("--video-list", help="CSV video list for CSV annotations")
    parser.add_argument("--no-features", action="store_true", help="do not read feature lengths")
    parser.add_argument("--write", metavar="PATCH.yaml", help="write the suggested keys to this file")
    parser.add_argument("--overwrite", action="store_true", help="let --write replace an existing file")
    from actionformer.config import add_override_argument

    add_override_argument(parser)


def _config(args: argparse.Namespace) -> Tuple[Dict[str, Any], str, Optional[str]]:
    """The resolved config, the annotation file and the video list."""
    from actionformer.config import ConfigurationError, load_config, load_default_config

    source = _source_file(Path(args.source))
    if source.suffix in (".yaml", ".yml"):
        cfg = load_config(str(source), overrides=args.set)
        if cfg.get("dataset_name") == "soccernet":
            raise ConfigurationError(f"{source}: suggest-config reads annotation files (ActivityNet / THUMOS "
                                     "layout); a soccernet (spotting) config is not supported: see "
                                     "docs/spotting.md for SnapFormer's settings")
        data = cfg["dataset"]
        if args.feat_stride:
            data["feat_stride"] = args.feat_stride
        if args.fps:
            data["default_fps"] = args.fps
        return cfg, str(data.get("json_file")), data.get("video_list")
    cfg = load_default_config()
    cfg["dataset"].update({"feat_stride": args.feat_stride or 16.0, "default_fps": args.fps})
    cfg["train_split"] = None  # guessed from the file's subsets (default_train_split)
    return cfg, str(source), args.video_list


def _source_file(source: Path) -> Path:
    """A data folder stands for the one config (``*.yaml``, as make-synthetic and demo write)
    or, failing that, the one annotation file (``*.json``, also under ``annotations/``) in it."""
    if not source.is_dir():
        return source
    for pattern in ("*.yaml", "*.yml", "*.json", "annotations/*.json"):
        found = sorted(source.glob(pattern))
        if len(found) == 1:
            print(f"note: {source} is a folder; reading {found[0]}", file=sys.stderr)
            return found[0]
        if found:
            raise OSError(f"{source} is a folder with several candidates ({', '.join(p.name for p in found)}); "
                          "give the config or annotation file itself")
    raise OSError(f"{source} is a folder without a config (.yaml) or annotation file (.json); give one of them")


def _feature_lengths(cfg: Dict[str, Any], video_ids: List[str]) -> Tuple[Optional[Dict[str, int]], str]:
    from actionformer.data.features import FeatureSource

    data = cfg.get("dataset") or {}
    if not data.get("feat_folder"):
        return None, "no feature folder given: video lengths are duration x fps / feat_stride"
    source = FeatureSource(data["feat_folder"], data.get("file_prefix"), data.get("file_ext"))
    if source.missing_roots():
        return None, (f"features not found ({', '.join(source.missing_roots())}): video lengths are "
                      "duration x fps / feat_stride")
    lengths: Dict[str, int] = {}
    missing = 0
    for vid in video_ids:
        try:
            lengths[vid] = int(source.shapes(vid)[0][0])
        except Exception:  # a missing or unreadable file: check-data reports it by name
            missing += 1
    source.close()
    note = f"video lengths read from {len(lengths)} feature files"
    if missing:
        note += f"; {missing} missing or unreadable (run check-data), their lengths from the duration"
    return lengths, note


def run(args: argparse.Namespace) -> int:
    from actionformer.advice import GridSpec, collect_stats
    from actionformer.advice.stats import default_train_split
    from actionformer.advice.suggest import describe_stats, format_table, histogram, suggest
    from actionformer.config import ConfigurationError
    from actionformer.data.report import DataError
    from actionformer.data.annotations import load_annotations

    try:
        cfg, ann_file, video_list = _config(args)
        db = load_annotations(ann_file, video_list)
    except (ConfigurationError, DataError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    split_note = None
    splits = args.train_split or cfg.get("train_split")
    if not splits:
        splits, split_note = default_train_split([rec.subset or "" for rec in db.videos.values()])
    wanted = {s.lower() for s in splits}
    train_ids = [v for v, rec in db.videos.items() if (rec.subset or "").lower() in wanted]
    if not train_ids:
        subsets = sorted({str(rec.subset) for rec in db.videos.values()})
        print(f"error: {ann_file}: no video in training split {splits}; the subsets are {subsets} "
              "(use --train-split)", file=sys.stderr)
        return 1
    lengths, lengths_note = (None, "features not read (--no-features)") if args.no_features else \
        _feature_lengths(cfg, train_ids)
    stats = collect_stats(db, GridSpec.from_config(cfg), splits, lengths)
    if stats.num_instances == 0:
        print(f"error: {ann_file}: the training split {splits} has no actions", file=sys.stderr)
        return 1
    advice = suggest(stats, cfg)
    out = describe_stats(stats, f"grid: feat_stride {cfg['dataset']['feat_stride']}, fps "
                                f"{cfg['dataset'].get('default_fps') or 'per video'}; {lengths_note}")
    out += ["", *format_table(advice.recommendations), "", *histogram(stats.half_spans,
                                                                      advice.ranges.regression_range)]
    notes = ([split_note] if split_note else []) + list(advice.notes)
    out += ["", "notes:"] + [f"- {n}" for n in notes or ["none"]]
    out += ["- not checked: feature values and input_dim (run check-data), class balance, label noise"]
    print("\n".join(out))
    if args.write:
        return _write_patch(Path(args.write), advice.patch, args.overwrite)
    return 0


def _flat(patch: Dict[str, Any], prefix: str = "") -> List[Tuple[str, Any]]:
    items: List[Tuple[str, Any]] = []
    for key, value in patch.items():
        path = f"{prefix}.{key}" if prefix else key
        items += _flat(value, path) if isinstance(value, dict) else [(path, value)]
    return items


def _write_patch(path: Path, patch: Dict[str, Any], overwrite: bool) -> int:
    import json

    import yaml

    from actionformer.atomic_files import atomic_write

    if path.exists() and not overwrite:
        print(f"error: {path} exists; pass --overwrite to replace it", file=sys.stderr)
        return 1
    header = ["# written by actionformer suggest-config; the same as:"]
    header += [f"#   --set '{key}={json.dumps(value)}'" for key, value in _flat(patch)]  # JSON is YAML
    text = "\n".join(header) + "\n" + yaml.safe_dump(patch, default_flow_style=None, sort_keys=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as handle:
            handle.write(text)
    except OSError as exc:
        print(f"error: --write {path}: cannot write: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0
