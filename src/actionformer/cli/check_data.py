"""Check every feature file and annotation a config points at, before training.

Reports, per video, every problem (missing feature file, feature dim != input_dim, NaN / Inf,
empty sequence, end < start, segment outside [0, duration], unknown label, video without a
subset, duplicate video id, ...) naming the file, the video and the field, then a summary:
videos per split, instances per class, durations and feature lengths. Exit code 0 when there is
no error (warnings allowed unless --strict), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the experiment's YAML config")
    parser.add_argument("--split", action="append", choices=["train", "val"],
                        help="check only this split (repeatable; default: train and val)")
    parser.add_argument("--quick", action="store_true",
                        help="do not read the feature files (annotations and file existence only)")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--max-problems", type=int, default=200, help="problems printed at most (default 200)")
    from actionformer.config import add_override_argument

    add_override_argument(parser)


def run(args: argparse.Namespace) -> int:
    from actionformer.config import load_config
    from actionformer.data.checks import check_data_from_config, default_splits

    try:
        cfg = load_config(args.config, overrides=args.set)
    except (OSError, ValueError) as exc:
        print(f"error: cannot load config {args.config}: {exc}", file=sys.stderr)
        return 1
    splits = default_splits(cfg)
    if args.split:
        splits = {name: subsets for name, subsets in splits.items() if name in args.split}
    report = check_data_from_config(cfg, splits, deep=not args.quick,
                                    progress=lambda msg: print(msg, file=sys.stderr))
    report.config_file = args.config
    print(report.format(max_problems=args.max_problems))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fid:
            json.dump({"ok": report.ok, "problems": [vars(p) for p in report.problems],
                       "bad_video_ids": sorted(report.bad_video_ids), "summary": report.summary}, fid, indent=1)
    failed = not report.ok or (args.strict and report.warnings)
    return 1 if failed else 0
