"""Write a synthetic THUMOS-format dataset (json + one .npy per video) and a ready-to-train config.

Actions leave class-specific traces (shared body pattern per class pair, class-specific onset and
offset patterns), over background drift, distractors and noise. Then:
    actionformer train OUT/NAME.yaml

``--task spotting`` writes point events instead, in SoccerNet-v2's folder layout (games with two
halves, Labels-v2.json, split files) and a SnapFormer config (see docs/spotting.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="output folder (created)")
    parser.add_argument("--task", choices=["detection", "spotting"], default="detection",
                        help="detection: actions with durations, THUMOS layout (default); spotting: point "
                             "events in SoccerNet-v2's layout with a SnapFormer config")
    parser.add_argument("--games", type=int, default=12,
                        help="spotting: number of games, two halves (videos) each (default 12)")
    parser.add_argument("--videos", type=int, default=100, help="number of videos (default 100)")
    parser.add_argument("--classes", type=int, default=6, help="number of action classes (default 6)")
    parser.add_argument("--feat-dim", type=int, default=64, help="feature dimension (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--name", default="synthetic", help="dataset / config name (default 'synthetic')")
    parser.add_argument("--min-len", type=int, default=None,
                        help="shortest video, in feature steps (default 160; spotting: 240 per half)")
    parser.add_argument("--max-len", type=int, default=None,
                        help="longest video, in feature steps (default 384; spotting: 320 per half)")
    parser.add_argument("--min-action-len", type=int, default=6, help="shortest action, in feature steps")
    parser.add_argument("--max-action-len", type=int, default=48, help="longest action, in feature steps")
    parser.add_argument("--max-actions", type=int, default=4, help="most actions per video")
    parser.add_argument("--noise", type=float, default=1.0, help="white noise std (default 1.0)")
    parser.add_argument("--signal", type=float, default=1.0, help="scale of the action patterns (default 1.0)")
    parser.add_argument("--distractors", type=float, default=1.0, help="mean distractors per video")
    parser.add_argument("--val-fraction", type=float, default=0.3, help="share of videos for evaluation")
    parser.add_argument("--boundary-noise", type=float, default=0.0,
                        help="move each training boundary by a uniform random fraction in [-x, x] of its "
                             "action's length (test annotations stay clean; default 0)")
    parser.add_argument("--overlap", type=float, default=0.0,
                        help="chance that an action gets an overlapping action of another class (default 0)")
    parser.add_argument("--max-seq-len", type=int, default=256, help="max_seq_len of the written config")
    parser.add_argument("--epochs", type=int, default=None, help="opt.epochs of the written config")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the synthetic dataset already in OUT (its feature files are removed first)")


def _earlier_dataset(out: Path, name: str) -> List[Path]:
    """What an earlier run of make-synthetic left in OUT that this one would write over (the
    features folder is shared by every name)."""
    found = [p for p in (out / f"{name}.yaml", out / f"{name}.json") if p.exists()]
    features = out / "features"
    if features.is_dir():
        found += sorted(features.glob("*.npy"))
    return found


def _earlier_spotting_dataset(out: Path, name: str) -> List[Path]:
    """What an earlier ``--task spotting`` run left in OUT that this one would write over."""
    from actionformer.data.synthetic_spotting import GAMES_FOLDER

    return [p for p in (out / f"{name}.yaml", out / "splits", out / GAMES_FOLDER) if p.exists()]


def _run_spotting(args: argparse.Namespace, overrides: Optional[Dict[str, Any]]) -> int:
    from actionformer.data.synthetic_spotting import (
        GAMES_FOLDER,
        make_synthetic_spotting,
    )

    # options of the detection data that spotting data has no use for: refused, not ignored
    # (a benchmark asking for noisy boundaries must not silently get clean ones)
    for flag, value in (("--boundary-noise", args.boundary_noise), ("--overlap", args.overlap)):
        if value:
            print(f"error: {flag} applies to detection data (segments) only; --task spotting writes point "
                  "events: remove it", file=sys.stderr)
            return 2
    out = Path(args.out)
    earlier = _earlier_spotting_dataset(out, args.name) if out.is_dir() else []
    if earlier and not args.overwrite:
        print(f"error: {out} already holds a synthetic spotting dataset ({earlier[0].name}); pass --overwrite "
              "to replace it, or choose another OUT", file=sys.stderr)
        return 2
    if (out / GAMES_FOLDER).is_dir():  # --overwrite: no game of the earlier dataset may survive
        shutil.rmtree(out / GAMES_FOLDER)
    lengths = {k: v for k, v in (("min_len", args.min_len), ("max_len", args.max_len)) if v is not None}
    try:
        path = make_synthetic_spotting(
            args.out, name=args.name, config_overrides=overrides, num_games=args.games,
            num_classes=args.classes, feat_dim=args.feat_dim, seed=args.seed, noise=args.noise,
            signal=args.signal, val_fraction=args.val_fraction, **lengths)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.games} games ({2 * args.games} halves) and the config {path}")
    print(f"train with: actionformer train {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    from actionformer.data.synthetic import make_synthetic_dataset

    overrides = {"opt": {"epochs": args.epochs}} if args.epochs is not None else None
    if args.task == "spotting":
        return _run_spotting(args, overrides)
    args.min_len = 160 if args.min_len is None else args.min_len
    args.max_len = 384 if args.max_len is None else args.max_len
    out = Path(args.out)
    earlier = _earlier_dataset(out, args.name) if out.is_dir() else []
    if earlier and not args.overwrite:
        print(f"error: {out} already holds a synthetic dataset ({earlier[0].name} and {len(earlier) - 1} more "
              f"file(s)); pass --overwrite to replace it, or choose another OUT", file=sys.stderr)
        return 2
    for stale in earlier:  # --overwrite: no feature file of the earlier dataset may survive
        if stale.suffix == ".npy":
            stale.unlink()
    try:
        path = make_synthetic_dataset(
            args.out, num_videos=args.videos, num_classes=args.classes, feat_dim=args.feat_dim,
            seed=args.seed, name=args.name, max_seq_len=args.max_seq_len, config_overrides=overrides,
            min_len=args.min_len, max_len=args.max_len, min_action_len=args.min_action_len,
            max_action_len=args.max_action_len, max_actions=args.max_actions, noise=args.noise,
            signal=args.signal, distractor_rate=args.distractors, val_fraction=args.val_fraction,
            boundary_noise=args.boundary_noise, overlap=args.overlap)
    except (ValueError, OSError) as exc:  # bad knobs, or OUT cannot be written
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.videos} videos and the config {path}")
    print(f"train with: actionformer train {path}")
    return 0
