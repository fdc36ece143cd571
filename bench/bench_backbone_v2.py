"""Backbone speed and memory: convTransformer (v1) vs convTransformerv2 (all switches on).

Sizes are THUMOS14/I3D's: input 2048, embedding 512, arch (2, 2, 5), window 19 at every
level, 4 heads (v2: 2 key/value heads), drop-path 0.1, batch 1. For each sequence length T,
two modes:
- ``train``: one forward + backward pass (loss = sum of the pyramid outputs), train mode;
- ``infer``: one forward pass in eval mode under ``torch.inference_mode()``.

Method.
- Memory: each (T, model, mode) runs one step in a fresh subprocess; ``peak_mib`` is the growth
  of the process's peak resident set (``ru_maxrss``) across that step, i.e. what the step needs
  on top of the built model and its input (activations, autograd buffers, gradients).
- Time: one subprocess per (T, mode) builds both models, runs one warm-up step of each, then
  ``reps`` rounds that alternate v1 and v2, so that both see the same machine load. ``wall_s``
  is the best round's wall-clock time; ``cpu_s`` the best round's process CPU time divided by
  the thread count, a steadier figure when the machine is shared.

    PYTHONPATH=src python bench/bench_backbone_v2.py                # T = 2304 9216 36864
    PYTHONPATH=src python bench/bench_backbone_v2.py --lengths 2304 --reps 3

Prints a markdown table and writes ``bench/results/backbone_v2.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "backbone_v2.json"
THUMOS_SIZES = dict(
    n_in=2048, n_embd=512, n_head=4, n_embd_ks=3, max_len=2304, arch=(2, 2, 5),
    mha_win_size=[19] * 6, scale_factor=2, with_ln=True, path_pdrop=0.1,
)
V2_ALL_ON = dict(use_rope=True, use_flash_attn=True, use_swiglu=True, use_rms_norm=True, n_kv_head=2)


def build(model_name: str):
    from actionformer.modeling.backbones import ConvTransformerBackbone, ConvTransformerV2Backbone

    if model_name == "v1":
        return ConvTransformerBackbone(**THUMOS_SIZES)
    return ConvTransformerV2Backbone(**THUMOS_SIZES, **V2_ALL_ON)


def sdpa_kernels(length: int = 512, device: str = "cpu") -> list:
    """The attention kernels PyTorch runs for a v2 forward (profiler op names), to check that a
    fused one (flash / memory-efficient) is selected rather than the unfused math fallback."""
    import torch
    from torch.profiler import profile

    model = build("v2").eval().to(device)
    x, mask = _inputs(length)
    with torch.inference_mode(), profile() as prof:
        model(x.to(device), mask.to(device))
    return sorted({e.key for e in prof.key_averages()
                   if "scaled_dot_product" in e.key or "_efficient_attention" in e.key
                   or "_flash_attention" in e.key})


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _inputs(length: int):
    import torch

    x = torch.randn(1, THUMOS_SIZES["n_in"], length)  # (B, C, T)
    mask = torch.ones(1, 1, length, dtype=torch.bool)  # (B, 1, T)
    return x, mask


def _step(model, x, mask, mode: str) -> None:
    import torch

    if mode == "train":
        model.train()
        feats, _ = model(x, mask)
        sum(f.sum() for f in feats).backward()
        model.zero_grad(set_to_none=False)  # keep the grads allocated, as in training
    else:
        model.eval()
        with torch.inference_mode():
            model(x, mask)


def _timed(fn) -> tuple:
    start_wall, start_cpu = time.perf_counter(), _cpu_seconds()
    fn()
    return time.perf_counter() - start_wall, _cpu_seconds() - start_cpu


def memory_worker(length: int, model_name: str, mode: str, threads: int) -> dict:
    """Peak memory of one step, in this fresh process."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(model_name)
    x, mask = _inputs(length)
    rss_before = _peak_rss_mib()
    wall, cpu = _timed(lambda: _step(model, x, mask, mode))
    return {"T": length, "model": model_name, "mode": mode, "peak_mib": _peak_rss_mib() - rss_before,
            "cold_wall_s": wall, "cold_cpu_s": cpu / threads,
            "params": sum(p.numel() for p in model.parameters())}


def time_worker(length: int, mode: str, reps: int, threads: int, models: list) -> list:
    """Best-of-``reps`` times of v1 and v2, interleaved, after one warm-up step each."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    built = {name: build(name) for name in models}
    x, mask = _inputs(length)
    for model in built.values():
        _step(model, x, mask, mode)
    times = {name: [] for name in built}
    for _ in range(reps):
        for name, model in built.items():
            times[name].append(_timed(lambda: _step(model, x, mask, mode)))
    return [{"T": length, "model": name, "mode": mode, "threads": threads, "rounds": reps,
             "wall_s": min(w for w, _ in rounds), "cpu_s": min(c for _, c in rounds) / threads}
            for name, rounds in times.items()]


def _subprocess(args: list):
    cmd = [sys.executable, __file__] + [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        # e.g. killed for memory: report the failure instead of a number
        return {"error": proc.stderr.strip()[-500:] or f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(rows: list) -> str:
    by_key = {(r["T"], r["model"], r["mode"]): r for r in rows}
    lengths = sorted({r["T"] for r in rows})
    lines = [
        "| T | mode | v1 wall s | v2 wall s | v2/v1 wall | v1 cpu s | v2 cpu s | v2/v1 cpu "
        "| v1 peak MiB | v2 peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def fmt(row, field, spec):
        return "error" if row is None or field not in row else format(row[field], spec)

    for length in lengths:
        for mode in ("train", "infer"):
            v1, v2 = by_key.get((length, "v1", mode)), by_key.get((length, "v2", mode))
            if v1 is None and v2 is None:
                continue
            lines.append(
                f"| {length} | {mode} | {fmt(v1, 'wall_s', '.2f')} | {fmt(v2, 'wall_s', '.2f')} | "
                f"{_ratio(v1, v2, 'wall_s')} | {fmt(v1, 'cpu_s', '.2f')} | {fmt(v2, 'cpu_s', '.2f')} | "
                f"{_ratio(v1, v2, 'cpu_s')} | "
                f"{fmt(v1, 'peak_mib', '.0f')} | {fmt(v2, 'peak_mib', '.0f')} |"
            )
    return "\n".join(lines)


def _ratio(v1, v2, field: str) -> str:
    if v1 is None or v2 is None or field not in v1 or field not in v2:
        return "-"
    return f"{v2[field] / v1[field]:.2f}"


def memory_growth(rows: list) -> dict:
    """peak(T = 4x) / peak(T) for every consecutive pair of lengths 4x apart, per model/mode."""
    out = {}
    ok = {(r["T"], r["model"], r["mode"]): r["peak_mib"] for r in rows if "peak_mib" in r}
    for (length, model_name, mode), peak in ok.items():
        bigger = ok.get((4 * length, model_name, mode))
        if bigger is not None and peak > 0:
            out[f"{model_name} {mode} {4 * length}/{length}"] = round(bigger / peak, 2)
    return out


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[2304, 9216, 36864])
    parser.add_argument("--models", nargs="+", default=["v1", "v2"], choices=["v1", "v2"])
    parser.add_argument("--modes", nargs="+", default=["train", "infer"], choices=["train", "infer"])
    parser.add_argument("--reps", type=int, default=None,
                        help="timed rounds after the warm-up (default: 3, 2 at T > 10000; one round was too noisy)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--memory-worker", nargs=3, metavar=("T", "MODEL", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--time-worker", nargs=2, metavar=("T", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    import torch

    threads = args.threads or torch.get_num_threads()
    if args.memory_worker:
        length, model_name, mode = args.memory_worker
        print(json.dumps(memory_worker(int(length), model_name, mode, threads)))
        return 0
    if args.time_worker:
        length, mode = args.time_worker
        print(json.dumps(time_worker(int(length), mode, args.reps, threads, args.models)))
        return 0

    rows = []
    for length in args.lengths:
        reps = max(1, args.reps if args.reps is not None else (3 if length <= 10000 else 2))
        for mode in args.modes:
            timed = _subprocess(["--time-worker", length, mode, "--reps", reps,
                                 "--threads", threads, "--models", *args.models])
            timed = {r["model"]: r for r in timed} if isinstance(timed, list) else {}
            for model_name in args.models:
                row = {"T": length, "model": model_name, "mode": mode}
                row.update(timed.get(model_name, {"time_error": "timing run failed"}))
                row.update(_subprocess(["--memory-worker", length, model_name, mode,
                                        "--threads", threads]))
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
    table = markdown(rows)
    growth = memory_growth(rows)
    kernels = sdpa_kernels()
    print(table)
    print("\npeak-memory growth for 4x longer sequences:", json.dumps(growth))
    print("attention kernels of a v2 forward (CPU):", ", ".join(kernels))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"torch": torch.__version__, "python": platform.python_version(),
            "machine": platform.machine(), "threads": threads, "sizes": THUMOS_SIZES,
            "v2_switches": V2_ALL_ON, "batch": 1, "sdpa_kernels_cpu": kernels}
    args.out.write_text(json.dumps({"meta": meta, "rows": rows, "memory_growth_4x": growth},
                                   indent=1, default=list) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
