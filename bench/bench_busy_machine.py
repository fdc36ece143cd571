"""Benchmark: a training epoch of a small synthetic config on a quiet machine and beside a
competing CPU-bound process, with torch's own thread default and with ours.

Rules compared (each run in a fresh process, without OMP_NUM_THREADS / OMP_WAIT_POLICY /
GOMP_SPINCOUNT in its environment):
- torch default: torch's thread count (the machine's cores) and OpenMP's default spin-waiting,
  as `actionformer train` ran before --threads existed;
- new default: `actionformer train` without --threads (actionformer.threads: usable CPUs,
  passive OpenMP waiting);
- 1 thread: `actionformer train --threads 1`.
"Busy" runs --competitors Python busy loops (subprocesses) during the epoch. The data is
`make_synthetic_dataset` (--videos videos, 64-d, the generated config's model); an epoch is
timed by the trainer's own per-epoch log line (training only: no validation).

Run:  PYTHONPATH=src python bench/bench_busy_machine.py [--videos 60] [--epochs 1] [--competitors 1]
Prints a markdown table and writes bench/results/busy_machine.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
RULES = {"torch default": "torch", "new default": "new", "1 thread": "one"}
THREAD_ENV = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MKL_NUM_THREADS")
EPOCH_LINE = re.compile(r"\[Train\] epoch \d+/\d+: .*? \| ([0-9.]+) s \|")


def worker(rule: str, config: Path, epochs: int, out: Path) -> None:
    """One training run in this (fresh) process, through the CLI's own thread setup."""
    threads: Optional[int] = None
    if rule == "torch":
        import torch  # loaded before the CLI: OpenMP keeps its defaults, torch its thread count

        threads = torch.get_num_threads()
    elif rule == "one":
        threads = 1
    from actionformer.threads import prefer_passive_wait

    prefer_passive_wait()  # as `actionformer train` does first (no-op for "torch": already loaded)
    from actionformer.cli.train import apply_threads, load_run_config, train_from_config

    import torch

    args = argparse.Namespace(config=str(config), output=f"{rule}_{time.time_ns()}", resume="", overwrite=False,
                              no_progress=True, threads=threads)
    cfg = load_run_config(str(config), [f"opt.epochs={epochs}", "opt.warmup_epochs=0", "trainer.ckpt_freq=0"])
    apply_threads(args)
    if train_from_config(cfg, args, validate=False) != 0:
        raise SystemExit(f"training failed ({rule})")
    log = (Path(cfg["output_folder"]) / f"{config.stem}_{args.output}" / "log.txt").read_text()
    seconds = [float(m.group(1)) for m in EPOCH_LINE.finditer(log)]
    out.write_text(json.dumps({"threads": torch.get_num_threads(), "epoch_seconds": seconds,
                               "wait_policy": os.environ.get("OMP_WAIT_POLICY", "(OpenMP default)")}))


def run_rule(rule: str, config: Path, epochs: int, competitors: int, tmp: Path) -> Dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(competitors)]
    out = tmp / f"{rule}_{competitors}.json"
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", rule, "--config", str(config),
                        "--epochs", str(epochs), "--out", str(out)], env=env, check=True, stdout=subprocess.DEVNULL)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    result = json.loads(out.read_text())
    result["seconds_per_epoch"] = sum(result["epoch_seconds"]) / len(result["epoch_seconds"])
    return result


def measure(args: argparse.Namespace) -> List[Dict[str, object]]:
    from actionformer.data.synthetic import make_synthetic_dataset

    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        config = Path(make_synthetic_dataset(str(tmp / "data"), num_videos=args.videos, seed=0, name="busy"))
        for label, rule in RULES.items():
            quiet = run_rule(rule, config, args.epochs, 0, tmp)
            busy = run_rule(rule, config, args.epochs, args.competitors, tmp)
            rows.append({"rule": label, "threads": quiet["threads"], "wait_policy": quiet["wait_policy"],
                         "quiet_s": quiet["seconds_per_epoch"], "busy_s": busy["seconds_per_epoch"],
                         "slowdown": busy["seconds_per_epoch"] / quiet["seconds_per_epoch"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=60, help="synthetic videos (70%% train)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs timed per run (mean)")
    parser.add_argument("--competitors", type=int, default=1, help="busy-loop processes in the busy runs")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.config, args.epochs, args.out)
        return
    load_before = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    rows = measure(args)
    print(f"| threads rule | torch threads | OpenMP wait | quiet s/epoch | beside {args.competitors} busy "
          "process(es) s/epoch | slowdown |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['rule']} | {r['threads']} | {r['wait_policy']} | {r['quiet_s']:.2f} | {r['busy_s']:.2f} "
              f"| {r['slowdown']:.1f}x |")
    record = {"benchmark": "busy_machine", "videos": args.videos, "epochs": args.epochs,
              "competitors": args.competitors,
              "machine": {"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))
                          if hasattr(os, "sched_getaffinity") else None, "platform": platform.platform(),
                          "load_average_before": load_before},
              "results": rows}
    out = REPO / "bench" / "results" / "busy_machine.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
