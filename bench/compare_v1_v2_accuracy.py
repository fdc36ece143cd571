"""Accuracy parity on the synthetic benchmark: v1 vs v2 (all switches off) vs v2 (all on).

One synthetic dataset (``actionformer.data.synthetic``), a small model (the demo's sizes), the
same seeds and schedule for every variant; each variant is trained with ``actionformer train``
and scored with ``actionformer eval`` (EMA weights, average mAP over tIoU 0.3:0.1:0.7), in
subprocesses, so this script depends only on the command-line interface.

    PYTHONPATH=src python bench/compare_v1_v2_accuracy.py --seeds 0 1 2 --epochs 10

Prints a markdown table (mean and per-seed average mAP) and writes
``bench/results/compare_v1_v2_accuracy.json``. Claim checked: with all switches off v2 is v1
(same mAP up to run-to-run noise); with all on it is at least as accurate.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_setup import DEMO_MODEL, DEMO_SCHEDULE  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "compare_v1_v2_accuracy.json"
# the demo's model (5 pyramid levels, 32 channels) and schedule: minutes per run on 2 CPU cores
MODEL = DEMO_MODEL
SCHEDULE = DEMO_SCHEDULE
SWITCHES = ("use_rope", "use_flash_attn", "use_swiglu", "use_rms_norm")
VARIANTS = {
    "v1 (convTransformer)": ["model.backbone_type=convTransformer"],
    "v2, all off": ["model.backbone_type=convTransformerv2"]
    + [f"model.backbone.{k}=false" for k in SWITCHES] + ["model.backbone.n_kv_head=null"],
    "v2, all on": ["model.backbone_type=convTransformerv2"]
    + [f"model.backbone.{k}=true" for k in SWITCHES] + ["model.backbone.n_kv_head=2"],
}
AVERAGE_MAP = re.compile(r"Average mAP:\s*([0-9.]+)")


def _cli(*args: str, threads: int) -> str:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "actionformer", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def run_variant(config: Path, name: str, overrides: list, seed: int, epochs: int, threads: int) -> float:
    tag = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + f"_s{seed}"
    sets = [f"opt.epochs={epochs}", f"init_rand_seed={seed}", *SCHEDULE, *overrides]
    set_args = [arg for item in sets for arg in ("--set", item)]
    _cli("train", str(config), "--output", tag, "--no-progress", *set_args, threads=threads)
    exp_dir = next(config.parent.glob(f"experiments/*_{tag}"))
    report = _cli("eval", str(config), str(exp_dir), *set_args, threads=threads)
    found = AVERAGE_MAP.search(report)
    if found is None:
        raise RuntimeError(f"no 'Average mAP' in the eval output of {name}, seed {seed}:\n{report}")
    return float(found.group(1))


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--videos", type=int, default=96)
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from actionformer.data.synthetic import make_synthetic_dataset

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="v1_v2_accuracy_"))
    config = Path(make_synthetic_dataset(
        str(workdir / "data"), num_videos=args.videos, num_classes=4, feat_dim=32,
        seed=args.data_seed, name="parity", max_seq_len=128, min_len=64, max_len=128,
        config_overrides={"model": dict(MODEL), "output_folder": str(workdir / "data" / "experiments")},
    ))
    results = {name: {} for name in VARIANTS}
    for seed in args.seeds:
        for name, overrides in VARIANTS.items():
            results[name][seed] = run_variant(config, name, overrides, seed, args.epochs, args.threads)
            print(json.dumps({"variant": name, "seed": seed, "avg_map": results[name][seed]}),
                  file=sys.stderr, flush=True)

    lines = ["| variant | mean average mAP (%) | per seed |", "|---|---|---|"]
    for name, by_seed in results.items():
        values = list(by_seed.values())
        spread = f" ± {statistics.stdev(values):.2f}" if len(values) > 1 else ""
        lines.append(f"| {name} | {statistics.mean(values):.2f}{spread} | "
                     f"{', '.join(f'{v:.2f}' for v in values)} |")
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"seeds": args.seeds, "epochs": args.epochs, "videos": args.videos,
                                    "model": MODEL, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
