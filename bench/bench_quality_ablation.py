"""Ablation of the detection quality options (issue 13) on harder synthetic data.

Trains a small model (the demo's sizes) with ``actionformer train`` and scores it with
``actionformer eval`` (EMA weights, average mAP over tIoU 0.3:0.1:0.7), in subprocesses, so it
depends only on the command-line interface. Training options (EIoU, quality focal loss, v2
heads) each need their own training; inference options (score temperature, DIoU-NMS, per-class
sigma) re-evaluate the baseline's checkpoint with another ``test_cfg``. The best combination
takes every option that beat the baseline on the mean over seeds (the inference ones on the
combination's own checkpoint).

The data is harder than the demo's: more classes, short actions, more noise and distractors
(``--setting`` picks one of ``SETTINGS``). Also times the post-processing of each inference
option on the THUMOS-sized case of ``bench/bench_postprocess.py``.

    PYTHONPATH=src python bench/bench_quality_ablation.py --seeds 0 1 --epochs 16 --threads 1 \
        [--settings "short actions" "many classes"] [--costs-only]

Prints markdown tables and writes ``bench/results/quality_ablation.json``.
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
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_setup import DEMO_MODEL, DEMO_SCHEDULE  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "quality_ablation.json"
MODEL = {**DEMO_MODEL, "head_num_layers": 3}  # 3 layers: the v2 heads have one residual pair
SCHEDULE = [s for s in DEMO_SCHEDULE if not s.startswith("test_cfg.max_seg_num=")] + ["test_cfg.max_seg_num=100"]
# generator settings: harder than the demo's (6 classes, actions 4..40 steps, noise 1)
SETTINGS = {
    "short actions": dict(num_classes=8, min_action_len=2, max_action_len=24, noise=1.0, distractor_rate=1.0,
                          max_actions=8),
    "many classes": dict(num_classes=12, min_action_len=3, max_action_len=40, noise=0.8, distractor_rate=1.5,
                         max_actions=6),
    # actions of different classes overlap (make-synthetic --overlap): what DIoU-NMS and the
    # per-class NMS parameters act on
    "overlapping": dict(num_classes=8, min_action_len=3, max_action_len=32, noise=1.0, distractor_rate=1.0,
                        max_actions=4, overlap=0.5),
}
TRAIN_OPTIONS = {
    "EIoU loss": ["train_cfg.reg_loss_type=eiou"],
    "quality focal loss": ["train_cfg.cls_loss_type=quality_focal"],
    "v2 heads": ["model.head_type=v2"],
}
CLASS_SIGMA = "{0: 0.3, 1: 0.3, 2: 0.3, 3: 0.9, 4: 0.9, 5: 0.9}"  # half the classes sharper, half softer
INFER_OPTIONS = {
    "score temperature 1.5": ["test_cfg.score_temperature=1.5"],
    "DIoU-NMS": ["test_cfg.use_diou_nms=true"],
    "per-class sigma": [f"test_cfg.class_sigma={CLASS_SIGMA}"],
}
AVERAGE_MAP = re.compile(r"Average mAP:\s*([0-9.]+)")


def _cli(*args: str, threads: int) -> Tuple[str, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "actionformer", *args, "--threads", str(threads)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout, wall


def _sets(items: List[str]) -> List[str]:
    return [arg for item in items for arg in ("--set", item)]


def train(config: Path, tag: str, overrides: List[str], seed: int, epochs: int, threads: int) -> Tuple[Path, float]:
    sets = _sets([f"opt.epochs={epochs}", f"init_rand_seed={seed}", *SCHEDULE, *overrides])
    _, wall = _cli("train", str(config), "--output", tag, "--no-progress", *sets, threads=threads)
    return next(config.parent.glob(f"experiments/*_{tag}")), wall


def evaluate(config: Path, exp_dir: Path, overrides: List[str], threads: int) -> Tuple[float, float]:
    sets = _sets([*SCHEDULE, *overrides])
    report, wall = _cli("eval", str(config), str(exp_dir), *sets, threads=threads)
    found = AVERAGE_MAP.search(report)
    if found is None:
        raise RuntimeError(f"no 'Average mAP' in the eval output of {exp_dir}:\n{report}")
    return float(found.group(1)), wall


def _record(results: Dict, name: str, seed: int, value: float, train_s: float, eval_s: float) -> None:
    results.setdefault(name, {})[str(seed)] = {"avg_map": value, "train_s": train_s, "eval_s": eval_s}
    print(json.dumps({"variant": name, "seed": seed, "avg_map": value, "train_s": round(train_s, 1),
                      "eval_s": round(eval_s, 1)}), file=sys.stderr, flush=True)


def run_setting(config: Path, seeds: List[int], epochs: int, threads: int) -> Dict:
    """{variant: {seed: {avg_map, train_s, eval_s}}} for baseline, each option and the combination."""
    results: Dict = {}
    for seed in seeds:
        base_dir, base_train = train(config, f"baseline_s{seed}", [], seed, epochs, threads)
        value, eval_s = evaluate(config, base_dir, [], threads)
        _record(results, "baseline", seed, value, base_train, eval_s)
        for name, overrides in INFER_OPTIONS.items():
            value, eval_s = evaluate(config, base_dir, overrides, threads)
            _record(results, name, seed, value, 0.0, eval_s)
        for name, overrides in TRAIN_OPTIONS.items():
            tag = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + f"_s{seed}"
            exp_dir, train_s = train(config, tag, overrides, seed, epochs, threads)
            value, eval_s = evaluate(config, exp_dir, overrides, threads)  # the model keys must match
            _record(results, name, seed, value, train_s, eval_s)
    baseline = _mean(results["baseline"])
    train_best = [o for name in TRAIN_OPTIONS if _mean(results[name]) > baseline for o in TRAIN_OPTIONS[name]]
    infer_best = [o for name in INFER_OPTIONS if _mean(results[name]) > baseline for o in INFER_OPTIONS[name]]
    results["_best_combination"] = train_best + infer_best
    for seed in seeds:
        if train_best:
            exp_dir, train_s = train(config, f"best_s{seed}", train_best, seed, epochs, threads)
        else:
            exp_dir, train_s = next(config.parent.glob(f"experiments/*_baseline_s{seed}")), 0.0
        value, eval_s = evaluate(config, exp_dir, train_best + infer_best, threads)
        _record(results, "best combination", seed, value, train_s, eval_s)
    return results


def _mean(by_seed: Dict) -> float:
    return statistics.mean(v["avg_map"] for v in by_seed.values())


def postprocess_cost(repeats: int) -> Dict[str, Dict[str, float]]:
    """Median milliseconds of ``detect`` and of its NMS step alone on the THUMOS-sized case of
    ``bench/bench_postprocess.py``, per inference option (one thread)."""
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_postprocess import BASE_CFG, CASES, synthetic_video  # noqa: E402

    from actionformer.postprocess import NMS_METHODS, decode_candidates, detect

    torch.set_num_threads(1)
    case = CASES[0]  # THUMOS14-like (soft, per class)
    points, logits, offsets, masks, meta = synthetic_video(case["length"], case["classes"], case["candidates"])
    variants = {
        "soft-NMS": {},
        "soft DIoU-NMS": {"use_diou_nms": True},
        "soft, per-class sigma": {"class_sigma": {c: 0.3 + 0.05 * c for c in range(10)}},
        "soft, class-agnostic": {"multiclass_nms": False},
        "soft DIoU-NMS, class-agnostic": {"multiclass_nms": False, "use_diou_nms": True},
        "hard NMS": {"nms_method": "hard", "iou_threshold": 0.5},
        "hard DIoU-NMS": {"nms_method": "hard", "iou_threshold": 0.5, "use_diou_nms": True},
        "hard, per-class threshold": {"nms_method": "hard", "iou_threshold": 0.5,
                                      "class_iou_threshold": {c: 0.3 + 0.05 * c for c in range(10)}},
        "score temperature 1.5": {"score_temperature": 1.5},
    }
    calls = {}
    for name, extra in variants.items():
        cfg = {**BASE_CFG, **case["cfg"], **extra}
        segs, scores, labels = decode_candidates(points, logits, offsets, masks, cfg["pre_nms_thresh"],
                                                 cfg["pre_nms_topk"], cfg["duration_thresh"],
                                                 cfg.get("score_temperature", 1.0))
        nms = NMS_METHODS.get(cfg["nms_method"])
        calls[name] = {"nms_ms": lambda nms=nms, c=cfg, a=(segs, scores, labels): nms(*a, c),
                       "detect_ms": lambda c=cfg: detect(points, logits, offsets, masks, meta, c)}
    # interleaved rounds, so that a busy machine slows every variant alike
    times: Dict[str, Dict[str, List[float]]] = {n: {"nms_ms": [], "detect_ms": []} for n in calls}
    for _ in range(repeats + 1):  # the first round warms up
        for name, fns in calls.items():
            for what, fn in fns.items():
                start = time.perf_counter()
                fn()
                times[name][what].append((time.perf_counter() - start) * 1000)
    return {n: {w: statistics.median(t[1:]) for w, t in row.items()} for n, row in times.items()}


def train_step_cost(repeats: int) -> Dict[str, float]:
    """Median milliseconds of one training step (forward, backward) of the ablation's model on a
    fixed batch of 4 videos of 128 steps, per training option; variants interleaved so that a
    busy machine slows them alike."""
    import torch

    from actionformer.config import config_from_dict
    from actionformer.modeling import make_meta_arch

    torch.set_num_threads(1)
    cfg = config_from_dict({"dataset": {"input_dim": 32, "num_classes": 8, "max_seq_len": 128},
                            "model": dict(MODEL), "train_cfg": {"droppath": 0.0}})
    g = torch.Generator().manual_seed(0)
    videos = [{"video_id": f"v{i}", "feats": torch.randn(32, 128, generator=g),
               "segments": torch.tensor([[10.0, 14.0], [40.0, 70.0], [90.0, 93.0]]),
               "labels": torch.tensor([i % 8, 3, 5]), "fps": 30.0, "duration": 68.3,
               "feat_stride": 16, "feat_num_frames": 16} for i in range(4)]
    variants = {"baseline": ({}, {}), **{name: _as_cfg(o) for name, o in TRAIN_OPTIONS.items()}}
    models = {}
    for name, (train_extra, model_extra) in variants.items():
        model_cfg = {**cfg["model"], **model_extra, "train_cfg": {**cfg["model"]["train_cfg"], **train_extra}}
        torch.manual_seed(0)
        models[name] = make_meta_arch("LocPointTransformer", **model_cfg).train()
    times: Dict[str, List[float]] = {name: [] for name in variants}
    for _ in range(repeats + 1):  # the first round warms up
        for name, model in models.items():
            start = time.perf_counter()
            model.zero_grad()
            model(videos)["final_loss"].backward()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def _as_cfg(overrides: List[str]) -> Tuple[Dict, Dict]:
    """``--set`` overrides of TRAIN_OPTIONS -> (train_cfg, model) entries."""
    train_extra, model_extra = {}, {}
    for item in overrides:
        path, value = item.split("=", 1)
        section, key = path.split(".", 1)
        (train_extra if section == "train_cfg" else model_extra)[key] = value
    return train_extra, model_extra


def _print_costs(report: Dict) -> None:
    print("| inference option (THUMOS-sized case) | NMS ms | vs soft-NMS | detect ms |\n|---|---|---|---|")
    soft = report["postprocess_ms"]["soft-NMS"]["nms_ms"]
    for name, row in report["postprocess_ms"].items():
        print(f"| {name} | {row['nms_ms']:.1f} | {row['nms_ms'] / soft:.2f}x | {row['detect_ms']:.1f} |")
    base = report["train_step_ms"]["baseline"]
    print("\n| training option | train step ms (B=4, T=128) | vs baseline |\n|---|---|---|")
    for name, ms in report["train_step_ms"].items():
        print(f"| {name} | {ms:.1f} | {ms / base:.2f}x |", flush=True)


def _table(results: Dict) -> List[str]:
    lines = ["| variant | average mAP (%) mean ± spread | per seed | train s/run | eval s/run |",
             "|---|---|---|---|---|"]
    for name, by_seed in results.items():
        if name.startswith("_"):
            continue
        values = [v["avg_map"] for v in by_seed.values()]
        spread = (max(values) - min(values)) / 2
        train_s = statistics.mean(v["train_s"] for v in by_seed.values())
        eval_s = statistics.mean(v["eval_s"] for v in by_seed.values())
        lines.append(f"| {name} | {statistics.mean(values):.2f} ± {spread:.2f} | "
                     f"{', '.join(f'{v:.2f}' for v in values)} | {train_s:.0f} | {eval_s:.1f} |")
    lines.append(f"\nbest combination: {results['_best_combination'] or 'none (baseline)'}")
    return lines


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--videos", type=int, default=80)
    # one setting takes ~16 min on a busy 2-core machine; docs/benchmarks.md has both
    parser.add_argument("--settings", nargs="+", default=["short actions"], choices=sorted(SETTINGS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7, help="timing repeats of the post-processing")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--costs-only", action="store_true",
                        help="only the time of each option (post-processing, training step); no training runs")
    args = parser.parse_args(argv)

    from actionformer.data.synthetic import make_synthetic_dataset

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="quality_ablation_"))
    report: Dict = {"seeds": args.seeds, "epochs": args.epochs, "videos": args.videos, "model": MODEL,
                    "settings": {}, "postprocess_ms": postprocess_cost(args.repeats),
                    "train_step_ms": train_step_cost(args.repeats)}
    _print_costs(report)
    for setting in args.settings if not args.costs_only else []:
        spec = SETTINGS[setting]
        folder = workdir / re.sub(r"[^a-z0-9]+", "_", setting)
        config = Path(make_synthetic_dataset(
            str(folder), num_videos=args.videos, feat_dim=32, seed=0, name="quality", max_seq_len=128,
            min_len=64, max_len=128,
            config_overrides={"model": dict(MODEL), "output_folder": str(folder / "experiments")},
            **spec,
        ))
        results = run_setting(config, args.seeds, args.epochs, args.threads)
        report["settings"][setting] = {"generator": spec, "results": results}
        print(f"\n### {setting}: {spec}\n")
        print("\n".join(_table(results)), flush=True)
    out = args.out.with_name(args.out.stem + "_costs.json") if args.costs_only else args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
