"""Benchmark: training throughput of the THUMOS14 recipe (configs/thumos_i3d.yaml) on synthetic
THUMOS-sized features, in 1 process and in 2 gloo processes (torchrun), on the CPU.

Features: 2048-d, 2304-2600 steps per video (THUMOS14's I3D features are 2048-d and up to a few
thousand steps; training crops to max_seq_len 2304), 1-8 actions per video, 20 classes. The
model is the full THUMOS14 model (convTransformer 2-2-5, 512 channels, window 19). Each process
takes the config's batch of 2 videos per iteration (so the global batch grows with processes).
Timing covers forward, backward, clipping, AdamW, scheduler and EMA of --iters iterations after
one warm-up iteration.

Run:  PYTHONPATH=src python bench/bench_train.py [--iters 4] [--procs 1 2] [--threads 1]
Prints a markdown table and writes bench/results/train.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "thumos_i3d.yaml"
PER_PROCESS_BATCH = 2


def write_thumos_sized(folder: Path, num_videos: int, seed: int = 0) -> Path:
    """Random features of THUMOS14's shape and a THUMOS-format annotation file."""
    rng = np.random.default_rng(seed)
    feat_dir = folder / "features"
    feat_dir.mkdir(parents=True, exist_ok=True)
    database = {}
    fps, stride, frames = 30.0, 4, 16
    next_label = 0  # labels cycle so that all 20 classes appear
    for i in range(num_videos):
        steps = int(rng.integers(2304, 2600))
        np.save(feat_dir / f"video_{i:04d}.npy", rng.standard_normal((steps, 2048), dtype=np.float32))
        duration = (steps * stride + frames) / fps
        annotations = []
        for _ in range(int(rng.integers(2, 9))):
            start = float(rng.uniform(0, duration - 10))
            label, next_label = next_label % 20, next_label + 1
            annotations.append({"segment": [start, start + float(rng.uniform(1, 10))],
                                "label": f"class_{label:02d}", "label_id": label})
        database[f"video_{i:04d}"] = {"subset": "validation", "duration": duration, "fps": fps,
                                      "annotations": annotations}
    json_file = folder / "thumos_sized.json"
    json_file.write_text(json.dumps({"database": database}))
    return json_file


def worker(data: Path, iters: int, out: Path, threads: int) -> None:
    """Runs in each torchrun process: times ``iters`` training iterations."""
    import torch

    torch.set_num_threads(threads)
    from actionformer.config import load_config
    from actionformer.engine import ModelEma, fix_random_seed, make_optimizer, make_scheduler
    from actionformer.engine.build import build_dataset, build_model
    from actionformer.engine.distributed import (cleanup_distributed, get_rank, get_world_size, init_distributed)
    from actionformer.engine.loaders import make_train_loader, set_loader_epoch
    from actionformer.engine.loops import train_one_epoch

    init_distributed(torch.device("cpu"))
    world = get_world_size()
    cfg = load_config(CONFIG, overrides=[
        f"dataset.json_file={data / 'thumos_sized.json'}", f"dataset.feat_folder={data / 'features'}",
        f"loader.batch_size={PER_PROCESS_BATCH * world}", "loader.num_workers=0", "train_split=[validation]",
        "opt.epochs=1", "opt.warmup_epochs=0", "trainer.device=cpu", "output_folder=/tmp/unused",
    ])
    fix_random_seed(cfg["init_rand_seed"])
    dataset = build_dataset(cfg, True, cfg["train_split"])
    model = build_model(cfg, dataset.get_attributes()["empty_label_ids"])
    ema = ModelEma(model)
    optimizer = make_optimizer(model, cfg["opt"])
    loader = make_train_loader(dataset, PER_PROCESS_BATCH, 0, 0, get_rank(), world)
    scheduler = make_scheduler(optimizer, cfg["opt"], len(loader))
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    timings = []
    for epoch in range(2):  # epoch 0: one warm-up iteration; epoch 1: the timed ones
        set_loader_epoch(loader, epoch, 0)
        limited = [batch for _, batch in zip(range(1 if epoch == 0 else iters), loader)]
        start = time.perf_counter()
        train_one_epoch(limited, model, optimizer, scheduler, epoch, model_ema=ema, clip_grad_l2norm=1.0,
                        print_freq=10**6, show_progress=False)
        timings.append(time.perf_counter() - start)
    if get_rank() == 0:
        out.write_text(json.dumps({"processes": world, "iters": iters, "seconds": timings[1],
                                   "global_batch": PER_PROCESS_BATCH * world, "threads_per_process": threads}))
    cleanup_distributed()


def launch(procs: int, data: Path, iters: int, threads: int) -> dict:
    out = data / f"result_{procs}.json"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}",
           str(Path(__file__).resolve()), "--worker", "--data", str(data), "--iters", str(iters),
           "--threads", str(threads), "--out", str(out)]
    subprocess.run(cmd, env=env, check=True)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=4)
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.data, args.iters, args.out, args.threads)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        write_thumos_sized(data, num_videos=PER_PROCESS_BATCH * max(args.procs) * (args.iters + 1))
        for procs in args.procs:
            result = launch(procs, data, args.iters, args.threads)
            result["iters_per_s"] = result["iters"] / result["seconds"]
            result["videos_per_s"] = result["iters"] * result["global_batch"] / result["seconds"]
            rows.append(result)
    print("| processes (gloo, CPU) | threads each | global batch | iterations/s | videos/s | s / iteration |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['processes']} | {r['threads_per_process']} | {r['global_batch']} | {r['iters_per_s']:.3f} "
              f"| {r['videos_per_s']:.2f} | {r['seconds'] / r['iters']:.2f} |")
    record = {"benchmark": "train", "config": "configs/thumos_i3d.yaml (full model), synthetic THUMOS-sized features",
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
              "results": rows}
    out = REPO / "bench" / "results" / "train.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
