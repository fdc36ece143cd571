"""``actionformer demo --task spotting``: SnapFormer on synthetic point events, in about a minute
on a CPU. Writes a SoccerNet-layout dataset (games, halves, Labels-v2.json), trains a small
SnapFormer, evaluates it and prints the spotting table (tight and loose average-mAP); the
predictions are left in both formats (our point json and SoccerNet's per-game files).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import List

NAME = "demo_spotting"


def spotting_overrides(args: argparse.Namespace) -> List[str]:
    """The demo's schedule and device (the data's config has the small model)."""
    return [
        f"opt.epochs={args.epochs}", "opt.warmup_epochs=1", "loader.batch_size=4", "loader.num_workers=0",
        "trainer.ema_decay=0.97", "trainer.eval_freq=0", "trainer.ckpt_freq=0", "trainer.keep_last=1",
        "trainer.print_freq=2", f"trainer.device={args.device}", f"init_rand_seed={args.seed}",
    ]


def run_spotting_demo(args: argparse.Namespace) -> int:
    from actionformer.config import load_config
    from actionformer.data.synthetic_spotting import make_synthetic_spotting

    from .demo import nested_overrides, start_demo, train_demo
    from .eval_checkpoint import evaluate_checkpoint

    start = time.time()
    out = Path(args.out).resolve()
    exp_dir = out / "experiments" / f"{NAME}_demo"
    code = start_demo(args, [out / "data", exp_dir])
    if code != 0:
        return code
    games = max(2, args.videos // 2)
    print(f"[1/3] Writing a synthetic spotting dataset of {games} games ({2 * games} halves) to {out / 'data'} ...")
    config_path = make_synthetic_spotting(
        str(out / "data"), name=NAME, num_games=games, seed=args.seed,
        config_overrides={**nested_overrides(spotting_overrides(args)), "output_folder": str(out / "experiments")},
    )
    code = train_demo(config_path, args, "SnapFormer")
    if code != 0:
        return code
    print(f"Trained in {time.time() - start:.0f} s. Experiment folder: {exp_dir}")
    print(f"  Evaluate it again: actionformer eval {config_path} {exp_dir}")
    print("[3/3] Evaluating the EMA model on the held-out games ...")
    eval_args = argparse.Namespace(config=config_path, no_ema=False, no_progress=args.no_progress,
                                   save_only=False, format="soccernet",
                                   out=str(exp_dir / f"{NAME}_detections.json"))
    return evaluate_checkpoint(load_config(config_path), exp_dir / "last.pth.tar", eval_args)
