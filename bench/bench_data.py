"""Data loading throughput on a THUMOS-sized synthetic set: videos/s read, and read + batched.

    PYTHONPATH=src python bench/bench_data.py [--videos 200 --feat-dim 2048 --min-len 1500 --max-len 2500]

Writes the features to a temporary folder (deleted afterwards), then measures
- "read": ``dataset[i]`` over every video in evaluation mode (file read, float32, T x C -> C x T);
- "train loader": one epoch of ``make_data_loader`` in training mode (random truncation to
  max_seq_len 2304, batch 2) with 0 and 2 workers.
Prints a markdown table and writes bench/results/data.json. The files sit in the page cache
after being written, so this measures the loader, not the disk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

import torch
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from actionformer.data import make_data_loader, make_dataset  # noqa: E402
from actionformer.data.synthetic import make_synthetic_dataset  # noqa: E402


def _time_reads(ds) -> float:
    start = time.perf_counter()
    for i in range(len(ds)):
        ds[i]
    return time.perf_counter() - start


def _time_loader(ds, workers: int, batch_size: int) -> (float, int):
    loader = make_data_loader(ds, True, torch.Generator().manual_seed(0), batch_size, workers)
    start = time.perf_counter()
    count = sum(len(batch) for batch in loader)
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--feat-dim", type=int, default=2048)
    parser.add_argument("--min-len", type=int, default=1500)
    parser.add_argument("--max-len", type=int, default=2500)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "data.json"))
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench_data_")
    try:
        start = time.perf_counter()
        cfg_path = make_synthetic_dataset(tmp, num_videos=args.videos, num_classes=20, feat_dim=args.feat_dim,
                                          min_len=args.min_len, max_len=args.max_len, max_action_len=200,
                                          max_actions=8, val_fraction=0.5, max_seq_len=2304)
        gen_s = time.perf_counter() - start
        cfg = yaml.safe_load(open(cfg_path))
        kwargs = cfg["dataset"]
        ds_all = make_dataset("thumos", False, ["validation", "test"], **kwargs)
        size_mb = sum(os.path.getsize(os.path.join(kwargs["feat_folder"], f))
                      for f in os.listdir(kwargs["feat_folder"])) / 2**20
        rows = []
        read_s = _time_reads(ds_all)
        rows.append({"mode": "read (eval items)", "workers": 0, "videos": len(ds_all), "seconds": read_s,
                     "videos_per_s": len(ds_all) / read_s, "mb_per_s": size_mb / read_s})
        train = make_dataset("thumos", True, ["validation", "test"], **kwargs)
        for workers in args.workers:
            secs, count = _time_loader(train, workers, args.batch_size)
            rows.append({"mode": f"train loader (batch {args.batch_size})", "workers": workers, "videos": count,
                         "seconds": secs, "videos_per_s": count / secs, "mb_per_s": size_mb * count / len(train) / secs})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{args.videos} videos, {args.min_len}-{args.max_len} x {args.feat_dim} float32 .npy "
          f"({size_mb:.0f} MiB, generated in {gen_s:.1f} s); torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    print()
    print("| mode | workers | videos | seconds | videos/s | MiB/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['workers']} | {r['videos']} | {r['seconds']:.2f} | {r['videos_per_s']:.1f} "
              f"| {r['mb_per_s']:.0f} |")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fid:
        json.dump({"videos": args.videos, "feat_dim": args.feat_dim, "min_len": args.min_len,
                   "max_len": args.max_len, "size_mib": size_mb, "generate_s": gen_s, "torch": torch.__version__,
                   "cpus": os.cpu_count(), "rows": rows}, fid, indent=1)


if __name__ == "__main__":
    main()
