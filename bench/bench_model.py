"""Speed of the full thumos_i3d model on CPU: one training step, and inference per video length.

    PYTHONPATH=src python bench/bench_model.py [--threads 2] [--sizes 2304 9216 36864]

Measures our fast kernels and, for comparison on the same machine, the reference path
(``fast_kernels(False)``: the original's formulation of layer norm, 1x1 convolutions and global
attention; the local attention is ours in both). Prints a markdown table and writes
bench/results/model.json.

- training step: forward + backward + AdamW step, batch of two videos of 2304 and 2000 steps
  (random features and ground truth), median of ``--steps`` steps after one warm-up step.
- inference: ``model.eval()`` forward of one video (detections included), median of
  ``--reps`` runs after a warm-up.
- peak memory: each inference size runs in its own subprocess; the figure is the process's
  peak RSS (``resource.getrusage(...).ru_maxrss``) minus its RSS just before the timed runs
  (model and input already built), i.e. what inference itself adds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from actionformer.modeling import make_meta_arch  # noqa: E402
from actionformer.modeling.layers import fast_kernels  # noqa: E402

# the original release's configs/thumos_i3d.yaml, merged with its defaults
THUMOS_I3D = dict(
    backbone_type="convTransformer", fpn_type="identity", backbone_arch=(2, 2, 5), scale_factor=2,
    input_dim=2048, max_seq_len=2304, max_buffer_len_factor=6.0, n_head=4, n_mha_win_size=19,
    embd_kernel_size=3, embd_dim=512, embd_with_ln=True, fpn_dim=512, fpn_with_ln=True,
    fpn_start_level=0, head_dim=512, regression_range=[(0, 4), (4, 8), (8, 16), (16, 32), (32, 64), (64, 10000)],
    head_num_layers=3, head_kernel_size=3, head_with_ln=True, use_abs_pe=False, use_rel_pe=False,
    num_classes=20,
    train_cfg=dict(
        center_sample="radius", center_sample_radius=1.5, loss_weight=1.0, cls_prior_prob=0.01,
        init_loss_norm=100, clip_grad_l2norm=1.0, dropout=0.0, droppath=0.1, label_smoothing=0.0,
        head_empty_cls=[],
    ),
    test_cfg=dict(
        pre_nms_thresh=0.001, pre_nms_topk=2000, iou_threshold=0.1, min_score=0.001, max_seg_num=200,
        nms_method="soft", nms_sigma=0.5, duration_thresh=0.05, multiclass_nms=True, voting_thresh=0.7,
        ext_score_file=None,
    ),
)


def make_video(length: int, seed: int, num_gt: int = 8) -> dict:
    g = torch.Generator().manual_seed(seed)
    starts = torch.rand(num_gt, generator=g) * (length - 200)
    segments = torch.stack([starts, starts + 5 + torch.rand(num_gt, generator=g) * 150], dim=1)
    return {
        "video_id": f"bench{seed}", "feats": torch.randn(2048, length, generator=g), "segments": segments,
        "labels": torch.randint(0, 20, (num_gt,), generator=g), "fps": 30.0, "duration": length * 4 / 30.0,
        "feat_stride": 4, "feat_num_frames": 16,
    }


def build_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return make_meta_arch("LocPointTransformer", **THUMOS_I3D)


def time_train_step(fast: bool, steps: int) -> float:
    model = build_model().train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
    videos = [make_video(2304, 1), make_video(2000, 2)]
    times = []
    with fast_kernels(fast):
        for i in range(steps + 1):
            start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            model(videos)["final_loss"].backward()
            opt.step()
            if i > 0:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def inference_child(length: int, fast: bool, reps: int) -> dict:
    """Runs in a subprocess: time and peak-memory increase of inference on one video."""
    model = build_model().eval()
    video = make_video(length, 3)
    with fast_kernels(fast), torch.no_grad():
        base = _rss_bytes()
        model([video])  # warm-up (also the first peak)
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            model([video])
            times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {"seconds": statistics.median(times), "peak_mem_mb": max(peak - base, 0) / 2**20}


def run_inference(length: int, fast: bool, reps: int, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(length), "--threads", str(threads), "--reps", str(reps)]
    if not fast:
        cmd.append("--reference")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps")
    parser.add_argument("--reps", type=int, default=3, help="timed inference runs per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2304, 9216, 36864])
    parser.add_argument("--skip-reference", action="store_true", help="only time our fast kernels")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.child:
        print(json.dumps(inference_child(args.child, not args.reference, args.reps)))
        return 0

    paths = [("fast", True)] + ([] if args.skip_reference else [("reference", False)])
    results: dict = {"threads": args.threads, "machine": platform.processor() or platform.machine(),
                     "torch": torch.__version__, "train_step_s": {}, "inference": {}}
    for name, fast in paths:
        results["train_step_s"][name] = time_train_step(fast, args.steps)
        results["inference"][name] = {str(t): run_inference(t, fast, args.reps, args.threads) for t in args.sizes}

    rows = ["| measurement | ours (fast) | reference path | reference / ours |", "|---|---|---|---|"]

    def row(label: str, fast_v: float, ref_v: float | None, unit: str) -> None:
        ref = f"{ref_v:.3f} {unit}" if ref_v is not None else "-"
        ratio = f"{ref_v / fast_v:.2f}x" if ref_v else "-"
        rows.append(f"| {label} | {fast_v:.3f} {unit} | {ref} | {ratio} |")

    ref_train = results["train_step_s"].get("reference")
    row("training step (B=2, T=2304/2000)", results["train_step_s"]["fast"], ref_train, "s")
    for t in args.sizes:
        f = results["inference"]["fast"][str(t)]
        r = results["inference"].get("reference", {}).get(str(t))
        row(f"inference T={t}", f["seconds"], r["seconds"] if r else None, "s")
        row(f"inference peak memory T={t}", f["peak_mem_mb"], r["peak_mem_mb"] if r else None, "MB")
    table = "\n".join(rows)
    print(f"CPU, {args.threads} threads, torch {torch.__version__}\n\n{table}")
    results["table"] = table
    out = ROOT / "bench" / "results" / "model.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
