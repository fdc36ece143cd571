"""Noisy training boundaries, clean test boundaries: regression head vs distribution heads.

Claim checked (issue 15): boundary-distribution heads (TBTFormer's DFL head, TriDet's Trident
head) degrade less than ActionFormer's regression head as the annotation noise grows.

For every seed, synthetic datasets (``actionformer make-synthetic``'s generator) that differ only
in ``boundary_noise``: each *training* boundary moved by a uniform random fraction in [-x, x]
of its action's length; the features and the test annotations are the same, clean. Every
model has the same backbone, neck, classification head and schedule (the demo's sizes, as
``compare_v1_v2_accuracy.py``); only the meta-architecture (its regression head and loss)
differs. Each run is ``actionformer train`` in a subprocess, one at a time, evaluated once
after the last epoch (EMA weights, average mAP over tIoU 0.3:0.1:0.7, and mAP at 0.7).

    PYTHONPATH=src python bench/bench_boundary_noise.py --seeds 0 1 --noise 0 0.1 0.25 --epochs 12
    PYTHONPATH=src python bench/bench_boundary_noise.py --models "TBTFormer, dfl_weight 0" \
        --out bench/results/boundary_noise_dfl0.json       # the ablation

Prints a markdown table (mean over seeds, per-seed values in the JSON) and writes
``bench/results/boundary_noise.json``. Times: training = sum of the epochs' times without the
final evaluation; inference = the final evaluation's wall time over the test videos (both with
``--threads`` torch threads, on whatever else the machine runs). ``--timing`` instead times
the three models in one process, alternating, best of 3 (less exposed to the machine's load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_setup import DEMO_MODEL, DEMO_SCHEDULE  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "boundary_noise.json"
MODEL = DEMO_MODEL
SCHEDULE = DEMO_SCHEDULE
MODELS = {
    "LocPointTransformer (regression)": ["model_name=LocPointTransformer"],
    "TBTFormer (distribution + DFL)": ["model_name=TBTFormer"],
    "TriDet (trident)": ["model_name=TriDet"],
    # an ablation, run on request (--models): the distribution head trained by the IoU loss alone
    "TBTFormer, dfl_weight 0": ["model_name=TBTFormer", "model.dfl_weight=0"],
}
DEFAULT_MODELS = list(MODELS)[:3]
AVERAGE_MAP = re.compile(r"Average mAP:\s*([0-9.]+)")
MAP_07 = re.compile(r"tIoU = 0\.70: mAP = ([0-9.]+)")
EPOCH_TIME = re.compile(r"\[Train\] epoch \d+/\d+: .*?\| ([0-9.]+) s \|")
EVAL_TIME = re.compile(r"\[Eval\] epoch \d+: (\d+) videos in ([0-9.]+) s")


def _train(config: Path, tag: str, sets: list, threads: int) -> str:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    set_args = [arg for item in sets for arg in ("--set", item)]
    cmd = [sys.executable, "-m", "actionformer", "train", str(config), "--output", tag, "--no-progress",
           "--threads", str(threads), *set_args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


def parse_run(log: str) -> dict:
    """Average mAP, mAP@0.7 and times from a train run's output (evaluated once, at the end)."""
    avg, high = AVERAGE_MAP.findall(log), MAP_07.findall(log)
    evals = EVAL_TIME.findall(log)
    if not avg or not high or not evals:
        raise RuntimeError(f"no final evaluation in the training output:\n{log[-2000:]}")
    eval_s = float(evals[-1][1])
    return {"avg_map": float(avg[-1]), "map_07": float(high[-1]),
            "train_s": sum(float(t) for t in EPOCH_TIME.findall(log)) - eval_s,
            "infer_s": eval_s, "test_videos": int(evals[-1][0])}


def make_data(workdir: Path, seed: int, noise: float, videos: int) -> Path:
    from actionformer.data.synthetic import make_synthetic_dataset

    folder = workdir / f"data_s{seed}_n{noise:g}"
    return Path(make_synthetic_dataset(
        str(folder), num_videos=videos, num_classes=4, feat_dim=32, seed=seed, name="noisy",
        max_seq_len=128, min_len=64, max_len=128, boundary_noise=noise,
        config_overrides={"model": dict(MODEL), "output_folder": str(folder / "experiments")},
    ))


def _mean(values: list) -> str:
    spread = f" ± {statistics.stdev(values):.1f}" if len(values) > 1 else ""
    return f"{statistics.mean(values):.1f}{spread}"


def table(results: dict, noises: list) -> str:
    lines = ["| model | boundary noise | avg mAP (%) | mAP@0.7 (%) | avg mAP change vs noise 0 | "
             "train s | inference s |", "|---|---|---|---|---|---|---|"]
    for name, by_noise in results.items():
        clean = statistics.mean(r["avg_map"] for r in by_noise[str(noises[0])])
        for noise in noises:
            runs = by_noise[str(noise)]
            avg = [r["avg_map"] for r in runs]
            lines.append(
                f"| {name} | {noise:g} | {_mean(avg)} | {_mean([r['map_07'] for r in runs])} | "
                f"{statistics.mean(avg) - clean:+.1f} | {statistics.mean(r['train_s'] for r in runs):.1f} | "
                f"{statistics.mean(r['infer_s'] for r in runs):.2f} |")
    return "\n".join(lines)


def _random_video(rng, length: int, channels: int, classes: int, index: int) -> dict:
    import torch

    starts = rng.uniform(0, length - 40, size=3)
    segments = torch.tensor([[s, s + rng.uniform(6, 40)] for s in starts], dtype=torch.float32)
    return {"video_id": f"v{index}", "feats": torch.from_numpy(rng.standard_normal((channels, length),
                                                                                   dtype=np.float32)),
            "segments": segments, "labels": torch.from_numpy(rng.integers(0, classes, 3)),
            "fps": 30.0, "duration": length * 4 / 30.0, "feat_stride": 4, "feat_num_frames": 16}


def time_models(threads: int, rounds: int = 3, steps: int = 10) -> dict:
    """Controlled timing, in this process, models alternating, best of ``rounds``: ``steps``
    training steps (forward, backward, AdamW) on batches of 4 videos of 128 steps, and inference
    on 29 videos (the benchmark's test set size), with the benchmark's model sizes."""
    import torch

    from actionformer.config import config_from_dict
    from actionformer.modeling import META_ARCHS

    torch.set_num_threads(threads)
    base = {"dataset": {"input_dim": 32, "num_classes": 4, "max_seq_len": 128},
            "model": dict(MODEL), "train_cfg": {"droppath": 0.0, "init_loss_norm": 20}}
    rng = np.random.default_rng(0)
    batches = [[_random_video(rng, 128, 32, 4, 4 * b + i) for i in range(4)] for b in range(steps)]
    test = [_random_video(rng, int(rng.integers(64, 129)), 32, 4, 100 + i) for i in range(29)]
    best: dict = {}
    for _ in range(rounds):
        for name in DEFAULT_MODELS:
            cfg = config_from_dict(base, overrides=[MODELS[name][0]])
            torch.manual_seed(0)
            model = META_ARCHS.get(cfg["model_name"]).from_config(cfg)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            model.train()
            start = time.perf_counter()
            for batch in batches:
                opt.zero_grad()
                model(batch)["final_loss"].backward()
                opt.step()
            train_s = time.perf_counter() - start
            model.eval()
            start = time.perf_counter()
            with torch.no_grad():
                for video in test:
                    model([video])
            infer_s = time.perf_counter() - start
            params = sum(p.numel() for p in model.parameters())
            prev = best.get(name, {"train_step_s": float("inf"), "infer_29_s": float("inf")})
            best[name] = {"train_step_s": min(prev["train_step_s"], train_s / steps),
                          "infer_29_s": min(prev["infer_29_s"], infer_s), "params": params}
    return best


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="data and training seeds")
    parser.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.1, 0.25])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--videos", type=int, default=96)
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=DEFAULT_MODELS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--timing", action="store_true",
                        help="only the controlled timing of the three models (no training runs); "
                             "writes bench/results/boundary_heads_timing.json")
    args = parser.parse_args(argv)
    if args.timing:
        timing = time_models(args.threads)
        print("| model | train step s (batch 4 x 128) | inference s (29 videos) | parameters |\n|---|---|---|---|")
        for name, t in timing.items():
            print(f"| {name} | {t['train_step_s']:.3f} | {t['infer_29_s']:.2f} | {t['params']} |")
        out = RESULTS.parent / "boundary_heads_timing.json"
        out.write_text(json.dumps({"threads": args.threads, "model": MODEL, "timing": timing}, indent=1) + "\n")
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="boundary_noise_"))
    results = {name: {str(n): [] for n in args.noise} for name in args.models}
    started = time.time()
    for seed in args.seeds:
        for noise in args.noise:
            config = make_data(workdir, seed, noise, args.videos)
            for name in args.models:
                overrides = MODELS[name]
                tag = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + f"_s{seed}"
                sets = [f"opt.epochs={args.epochs}", f"init_rand_seed={seed}", *SCHEDULE, *overrides]
                run = parse_run(_train(config, tag, sets, args.threads))
                results[name][str(noise)].append({"seed": seed, **run})
                print(json.dumps({"model": name, "noise": noise, "seed": seed, **run}), file=sys.stderr, flush=True)
    print(table(results, args.noise))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "seeds": args.seeds, "noise": args.noise, "epochs": args.epochs, "videos": args.videos,
        "threads": args.threads, "model": MODEL, "schedule": SCHEDULE, "wall_s": round(time.time() - started, 1),
        "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
