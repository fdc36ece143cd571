"""The runs behind docs/use_cases.md: per use case, the demo-sized model with its fixed
(original-style) settings vs the settings `actionformer suggest-config` gives for the data, vs
equal-share regression ranges (``compute_adaptive_ranges(method="quantile")``, the seed's idea).
A variant whose config equals an earlier one of the same case and seed reuses its result.

Each use case is a synthetic generator setting (lengths in feature steps, 7.5 steps/s); every
(case, variant) trains once per seed on 1 CPU thread and is evaluated (EMA weights, average mAP
over tIoU 0.3:0.7). Prints a table and writes bench/results/use_cases.json.

    python bench/bench_use_cases.py [--seeds 0 1] [--epochs 6] [--cases short long ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_setup import DEMO_MODEL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = 40  # per case (2/3 train), except the small-dataset case
RESULTS = ROOT / "bench" / "results" / "use_cases.json"

BASE_MODEL = DEMO_MODEL

# name -> (generator knobs, max_seq_len of the fixed config, extra variants)
CASES: Dict[str, Dict[str, Any]] = {
    "short": {"knobs": dict(min_action_len=2, max_action_len=6, min_len=64, max_len=128, max_actions=6),
              "seq": 128},
    "long": {"knobs": dict(min_action_len=40, max_action_len=100, min_len=160, max_len=256, max_actions=2),
             "seq": 128},
    "point": {"knobs": dict(min_action_len=1, max_action_len=1, min_len=64, max_len=128, max_actions=6),
              "seq": 128},
    "noisy": {"knobs": dict(min_action_len=6, max_action_len=24, min_len=64, max_len=128), "seq": 128,
              "jitter": 0.25, "extra": {"radius 2.5": {"train_cfg": {"center_sample_radius": 2.5}}}},
    "long_videos": {"knobs": dict(min_action_len=6, max_action_len=30, min_len=256, max_len=512, max_actions=8),
                    "seq": 128},
    "small": {"knobs": dict(min_action_len=6, max_action_len=30, min_len=64, max_len=128), "seq": 128,
              "videos": 20},
}


def _merge(base: Dict[str, Any], patch: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _jitter_training_boundaries(json_file: str, fraction: float, seed: int) -> None:
    """Noisy labels: move each training action's boundaries by up to ``fraction`` of its length."""
    rng = np.random.default_rng(seed + 1000)
    data = json.loads(Path(json_file).read_text())
    for video in data["database"].values():
        if video["subset"] != "validation":
            continue
        for act in video["annotations"]:
            start, end = act["segment"]
            shift = rng.uniform(-fraction, fraction, 2) * (end - start)
            new = [max(0.0, start + shift[0]), min(video["duration"], end + shift[1])]
            act["segment"] = new if new[1] > new[0] else [start, end]
    Path(json_file).write_text(json.dumps(data))


def _suggested_patch(cfg: Dict[str, Any]) -> Dict[str, Any]:
    from actionformer.advice import GridSpec, collect_stats
    from actionformer.advice.suggest import suggest
    from actionformer.data.features import FeatureSource

    data = cfg["dataset"]
    source = FeatureSource(data["feat_folder"], None, ".npy")
    ann = json.loads(Path(data["json_file"]).read_text())["database"]
    lengths = {v: source.shapes(v)[0][0] for v, e in ann.items() if e["subset"] == "validation"}
    stats = collect_stats(data["json_file"], GridSpec.from_config(cfg), cfg["train_split"], lengths)
    return suggest(stats, cfg).patch


def _train_and_eval(cfg: Dict[str, Any], work: Path, name: str) -> float:
    import yaml

    cfg_path = work / f"{name}.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "actionformer"]
    subprocess.run(cmd + ["train", str(cfg_path), "--output", name, "--no-progress"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    exp = Path(cfg["output_folder"]) / f"{name}_{name}"
    out = exp / "det_detections.json"
    subprocess.run(cmd + ["eval", str(cfg_path), str(exp), "--out", str(out)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return 100.0 * json.loads((exp / "det_metrics.json").read_text())["average_mAP"]


def run_case(case: str, seed: int, epochs: int, work: Path) -> Dict[str, Any]:
    from actionformer.config import load_config
    from actionformer.data.synthetic import make_synthetic_dataset

    spec = CASES[case]
    data_dir = work / f"{case}_{seed}"
    overrides = {"model": dict(BASE_MODEL), "output_folder": str(data_dir / "runs"),
                 "opt": {"epochs": epochs, "warmup_epochs": 1, "learning_rate": 0.004, "weight_decay": 0.05},
                 "loader": {"batch_size": 4, "num_workers": 0},
                 "train_cfg": {"droppath": 0.0, "init_loss_norm": 20},
                 "test_cfg": {"max_seg_num": 50, "pre_nms_topk": 500},
                 "trainer": {"ema_decay": 0.97, "ckpt_freq": 0, "keep_last": 1, "device": "cpu"},
                 "init_rand_seed": seed}
    cfg_path = make_synthetic_dataset(str(data_dir), num_videos=spec.get("videos", VIDEOS), num_classes=4, feat_dim=32,
                                      seed=seed, name=case, max_seq_len=spec["seq"], config_overrides=overrides,
                                      **spec["knobs"])
    cfg = load_config(cfg_path)
    if spec.get("jitter"):
        _jitter_training_boundaries(cfg["dataset"]["json_file"], spec["jitter"], seed)
    plain = load_raw(cfg_path)
    patch = _suggested_patch(cfg)
    levels = patch["model"]["backbone_arch"][2] + 1
    equal_share = {"model": {"backbone_arch": patch["model"]["backbone_arch"],
                             "regression_range": _equal_share_ranges(cfg, levels)}}
    variants = {"fixed": {}, "suggested": patch, "equal-share": equal_share, **spec.get("extra", {})}
    row: Dict[str, Any] = {"case": case, "seed": seed, "patch": patch, "equal_share": equal_share}
    done: List[Any] = []  # (config, mAP): a variant whose config equals an earlier one is not retrained
    for name, variant in variants.items():
        began = time.time()
        merged = _merge(plain, variant)
        same = [m for c, m in done if c == merged]
        row[name] = same[0] if same else _train_and_eval(merged, data_dir, name.replace(" ", "_").replace("-", "_"))
        row[name + "_seconds"] = time.time() - began
        done.append((merged, row[name]))
    return row


def _equal_share_ranges(cfg: Dict[str, Any], levels: int) -> List[List[float]]:
    """The seed fork's idea, corrected to half-spans: equal shares of actions per level."""
    from actionformer.advice import GridSpec, collect_stats, compute_adaptive_ranges

    stats = collect_stats(cfg["dataset"]["json_file"], GridSpec.from_config(cfg), cfg["train_split"])
    return compute_adaptive_ranges(stats, levels, method="quantile")


def load_raw(path: str) -> Dict[str, Any]:
    import yaml

    return yaml.safe_load(Path(path).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args()
    rows: List[Dict[str, Any]] = []
    began = time.time()
    with tempfile.TemporaryDirectory(prefix="af_use_cases_") as tmp:
        for case in args.cases:
            for seed in args.seeds:
                rows.append(run_case(case, seed, args.epochs, Path(tmp)))
                print(f"  {case} seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in rows[-1].items()
                                                           if isinstance(v, float) and not k.endswith("seconds")),
                      flush=True)
    print(f"\n{'case':<12} {'variant':<12} {'avg mAP (per seed)':<26} mean   suggested patch (seed 0)")
    summary = []
    for case in args.cases:
        case_rows = [r for r in rows if r["case"] == case]
        for variant in [k for k in case_rows[0] if isinstance(case_rows[0][k], float) and not k.endswith("seconds")]:
            values = [r[variant] for r in case_rows]
            mean = statistics.mean(values)
            patch = json.dumps(case_rows[0]["patch"]["model"]) if variant == "suggested" else ""
            print(f"{case:<12} {variant:<12} {' '.join(f'{v:6.2f}' for v in values):<26} {mean:6.2f} {patch}")
            summary.append({"case": case, "variant": variant, "per_seed": values, "mean": mean})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "summary": summary, "epochs": args.epochs, "seeds": args.seeds,
                                   "seconds": time.time() - began,
                                   "machine": "2-core CPU shared with other jobs, 1 thread"}, indent=1))
    print(f"total {time.time() - began:.0f} s; wrote {RESULTS}")


if __name__ == "__main__":
    main()
