"""Try ActionFormer in about a minute, on any laptop: no data, no GPU needed.

Generates a small synthetic dataset (THUMOS layout: features + annotation JSON), trains a small
ActionFormer on the CPU, evaluates it and prints the mAP table in the original's format. The
experiment folder (config, log, TensorBoard events, checkpoints, detections) is left in --out.

  actionformer demo                  # ./actionformer_demo
  actionformer demo --out /tmp/demo --epochs 12
  actionformer demo --task spotting  # SnapFormer on synthetic point events (SoccerNet layout)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

# A model and schedule sized for 2 CPU cores: 2 + 2 + 4 blocks (5 pyramid levels), 32 channels.
DEMO_MODEL: Dict[str, Any] = {
    "backbone_arch": [2, 1, 4], "embd_dim": 32, "fpn_dim": 32, "head_dim": 32, "n_head": 4,
    "n_mha_win_size": 9, "head_num_layers": 2, "max_buffer_len_factor": 1.0,
    "regression_range": [[0, 4], [4, 8], [8, 16], [16, 32], [32, 10000]],
}
DEMO_CLASSES = 4
DEMO_FEAT_DIM = 32
DEMO_SEQ_LEN = 128


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="actionformer_demo", help="folder for the data and the experiment")
    parser.add_argument("--task", choices=["detection", "spotting"], default="detection",
                        help="detection: ActionFormer on actions with durations (default); spotting: SnapFormer "
                             "on point events in SoccerNet's layout (--videos counts halves)")
    parser.add_argument("--videos", type=int, default=64, help="synthetic videos (2/3 train, 1/3 evaluation)")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs after 1 warm-up epoch")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the training")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch (1 is fastest for this small model)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the demo run already in --out (its experiment folder is removed)")


def demo_overrides(args: argparse.Namespace) -> List[str]:
    return [
        f"opt.epochs={args.epochs}", "opt.warmup_epochs=1", "opt.learning_rate=0.004", "opt.weight_decay=0.05",
        "loader.batch_size=4", "loader.num_workers=0",
        "train_cfg.droppath=0.0", "train_cfg.init_loss_norm=20",
        "test_cfg.max_seg_num=50", "test_cfg.pre_nms_topk=500",
        "trainer.ema_decay=0.97", "trainer.eval_freq=0", "trainer.ckpt_freq=0", "trainer.keep_last=1",
        "trainer.print_freq=2",
        f"trainer.device={args.device}", f"init_rand_seed={args.seed}",
    ]


def nested_overrides(overrides: List[str]) -> Dict[str, Any]:
    """``["opt.epochs=10", ...]`` as ``{"opt": {"epochs": 10}}`` (values read as YAML, as --set)."""
    import yaml

    out: Dict[str, Any] = {}
    for item in overrides:
        key, _, value = item.partition("=")
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return out


def start_demo(args: argparse.Namespace, outputs: List[Path]) -> int:
    """0 once ``--threads`` is applied; 2, the error printed, when one of the demo's ``outputs``
    exists without ``--overwrite`` or ``--threads`` is below 1."""
    from actionformer.threads import configure_threads

    earlier = [p for p in outputs if p.exists()]
    if earlier and not args.overwrite:
        print(f"error: {earlier[0]} already exists (an earlier demo?): pass --overwrite to replace the demo's "
              "data and run, or choose another --out", file=sys.stderr)
        return 2
    if args.threads < 1:
        print(f"error: --threads {args.threads}: must be at least 1", file=sys.stderr)
        return 2
    configure_threads(args.threads)
    return 0


def train_demo(config_path: str, args: argparse.Namespace, model_name: str) -> int:
    """Train the demo's config as the run "demo" (no validation: the demo evaluates once, after);
    the exit code of training, 2 when the config does not load."""
    from actionformer.config import ConfigurationError, load_config

    from .train import train_from_config

    try:
        cfg = load_config(config_path)
    except ConfigurationError as exc:  # pragma: no cover - the demo's own config
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[2/3] Training a small {model_name} on {args.device} ({args.threads} threads) ...")
    train_args = argparse.Namespace(config=config_path, output="demo", resume="", no_progress=args.no_progress,
                                    overwrite=args.overwrite)
    return train_from_config(cfg, train_args, validate=False)


def run(args: argparse.Namespace) -> int:
    from actionformer.threads import prefer_passive_wait

    prefer_passive_wait()  # before torch is imported
    if getattr(args, "task", "detection") == "spotting":
        from .demo_spotting import run_spotting_demo

        return run_spotting_demo(args)
    from actionformer.config import load_config
    from actionformer.data.synthetic import make_synthetic_dataset

    from .eval_checkpoint import evaluate_checkpoint

    start = time.time()
    out = Path(args.out).resolve()
    code = start_demo(args, [out / "data", out / "experiments" / "demo_demo"])
    if code != 0:
        return code
    print(f"[1/3] Writing a synthetic dataset of {args.videos} videos to {out / 'data'} ...")
    config_path = make_synthetic_dataset(
        str(out / "data"), num_videos=args.videos, num_classes=DEMO_CLASSES, feat_dim=DEMO_FEAT_DIM,
        seed=args.seed, name="demo", max_seq_len=DEMO_SEQ_LEN, min_len=64, max_len=DEMO_SEQ_LEN,
        # the demo's settings go into the written yaml itself, so that data/demo.yaml is the config
        # the demo trains with and `actionformer eval data/demo.yaml experiments/demo_demo` works
        config_overrides={**nested_overrides(demo_overrides(args)), "model": dict(DEMO_MODEL),
                          "output_folder": str(out / "experiments")},
    )
    code = train_demo(config_path, args, "ActionFormer")
    if code != 0:
        return code
    exp_dir = out / "experiments" / "demo_demo"
    print(f"Trained in {time.time() - start:.0f} s. Experiment folder: {exp_dir}")
    print(f"  TensorBoard: tensorboard --logdir {exp_dir / 'logs'}")
    print(f"  Train on it again: actionformer train {config_path} --output again")
    print(f"  Evaluate it again: actionformer eval {config_path} {exp_dir}")
    print("[3/3] Evaluating the EMA model on the held-out videos ...")
    eval_args = argparse.Namespace(config=config_path, no_ema=False, no_progress=args.no_progress,
                                   save_only=False,
                                   out=str(exp_dir / "demo_detections.json"))
    # the table is printed last: the output ends with 'Average mAP: XX.XX (%)'
    code = evaluate_checkpoint(load_config(config_path), exp_dir / "last.pth.tar", eval_args)
    return code

