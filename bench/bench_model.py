"""Speed of the full thumos_i3d model on CPU: one training step, and inference per video length.

    PYTHONPATH=src python bench/bench_model.py [--threads 2] [--sizes 2304 9216 36864]

Measures our model and, for comparison on the same machine, an original-style path: the same
model built with ``cpu_kernels=False`` (the standard formulation only: the original's layer
norm, convolutions through ``nn.Conv1d`` on contiguous (B, C, T) tensors, max-pool; our banded
local attention and drop-path as everywhere) and the original's padding (training batches to
max_seq_len; inference to max_seq_len, or beyond it to a multiple of max_div_factor). Prints a markdown table and writes bench/results/model.json.

- training step: forward + backward + AdamW step, batch of two videos of 2304 and 2000 steps
  (random features and ground truth), median of ``--steps`` steps after one warm-up round. Each
  side's optimizer is built as its trainer builds it: two parameter groups (weight decay on
  weights only) with our trainer's fused AdamW, and with the default AdamW for the original.
- inference: ``model.eval()`` forward of one video (detections included), median of
  ``--reps`` runs after a warm-up round.
- the two paths' runs alternate (ours, original-style, ours, ...) so that load from other jobs
  on a shared machine hits both alike.
- peak memory: one inference per size and path, each in its own subprocess; with the model and
  input built, the kernel's peak-RSS mark is reset (``/proc/self/clear_refs``); the figure is
  the peak RSS of the run (``VmHWM``) minus the RSS before it, i.e. what inference adds.
- times are wall-clock medians; CPU seconds (``time.process_time``, all threads) are reported
  too, as they are less disturbed by other jobs on a shared machine.
"""

from __future__ import annotations

import argparse
import json
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

from actionformer.engine import make_optimizer  # noqa: E402
from actionformer.modeling import make_meta_arch  # noqa: E402
from actionformer.modeling.meta_archs.inputs import padded_length  # noqa: E402

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


def build_model(cpu_kernels: bool = True) -> torch.nn.Module:
    """Our model, or (``cpu_kernels=False``) the original-style one, with the original's padding."""
    torch.manual_seed(0)
    model = make_meta_arch("LocPointTransformer", **THUMOS_I3D, cpu_kernels=cpu_kernels)
    original_padding = not cpu_kernels
    if original_padding:
        model.train_length = lambda lengths: model.max_seq_len
        model.inference_length = lambda length: padded_length(length, model.max_seq_len, model.max_div_factor)
    return model


def time_train_steps(paths: dict, steps: int) -> dict:
    """Median wall and CPU seconds per training step, the paths' steps interleaved."""
    videos = [make_video(2304, 1), make_video(2000, 2)]
    runs = {}
    opt_cfg = {"type": "AdamW", "learning_rate": 1e-4, "weight_decay": 0.05}
    for name, fast in paths.items():
        model = build_model(cpu_kernels=fast).train()
        optimizer = make_optimizer(model, opt_cfg)  # our trainer's: the original's groups, fused AdamW
        if not fast:  # the original's: the same two parameter groups, the default AdamW
            optimizer = torch.optim.AdamW([{k: v for k, v in g.items() if k != "fused"} for g in optimizer.param_groups], lr=1e-4)
        runs[name] = (model, optimizer, fast)
    times: dict = {name: ([], []) for name in paths}
    for i in range(steps + 1):  # the first round warms up
        for name, (model, opt, fast) in runs.items():
            start, cpu_start = time.perf_counter(), time.process_time()
            opt.zero_grad(set_to_none=True)
            model(videos)["final_loss"].backward()
            opt.step()
            if i > 0:
                times[name][0].append(time.perf_counter() - start)
                times[name][1].append(time.process_time() - cpu_start)
    return {name: {"seconds": statistics.median(w), "cpu_seconds": statistics.median(c)} for name, (w, c) in times.items()}


def time_inference(paths: dict, length: int, reps: int) -> dict:
    """Median wall and CPU seconds of inference on one video, the paths' runs interleaved."""
    video = make_video(length, 3)
    models = {name: build_model(cpu_kernels=fast).eval() for name, fast in paths.items()}
    times: dict = {name: ([], []) for name in paths}
    with torch.no_grad():
        for i in range(reps + 1):
            for name in paths:
                start, cpu_start = time.perf_counter(), time.process_time()
                models[name]([video])
                if i > 0:
                    times[name][0].append(time.perf_counter() - start)
                    times[name][1].append(time.process_time() - cpu_start)
    return {name: {"seconds": statistics.median(w), "cpu_seconds": statistics.median(c)} for name, (w, c) in times.items()}


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_child(length: int, fast: bool) -> dict:
    """Runs in a subprocess: peak memory that one inference adds."""
    model = build_model(cpu_kernels=fast).eval()
    video = make_video(length, 3)
    with torch.no_grad():
        reset = _reset_peak_rss()
        base = _status_kib("VmRSS")
        model([video])
    peak = _status_kib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_mem_mb": max(peak - base, 0) / 1024}


def measure_memory(length: int, fast: bool, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(length), "--threads", str(threads)]
    if not fast:
        cmd.append("--reference")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps")
    parser.add_argument("--reps", type=int, default=3, help="timed inference runs per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2304, 9216, 36864])
    parser.add_argument("--skip-reference", action="store_true", help="only time our model")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.child:
        print(json.dumps(memory_child(args.child, not args.reference)))
        return 0

    paths = {"fast": True} if args.skip_reference else {"fast": True, "reference": False}  # reference = original-style
    results: dict = {"threads": args.threads, "machine": platform.processor() or platform.machine(),
                     "torch": torch.__version__, "train_step_s": time_train_steps(paths, args.steps),
                     "inference": {name: {} for name in paths}}
    for t in args.sizes:
        timed = time_inference(paths, t, args.reps)
        for name, fast in paths.items():
            results["inference"][name][str(t)] = {**timed[name], **measure_memory(t, fast, args.threads)}

    rows = [
        "| measurement | ours | original-style | original-style / ours |",
        "|---|---|---|---|",
    ]

    def row(label: str, ours: dict, ref: dict | None, key: str, unit: str) -> None:
        ref_text = f"{ref[key]:.3f} {unit}" if ref else "-"
        ratio = f"{ref[key] / ours[key]:.2f}x" if ref and ours[key] > 0 else "-"
        rows.append(f"| {label} | {ours[key]:.3f} {unit} | {ref_text} | {ratio} |")

    train = results["train_step_s"]
    row("training step, wall (B=2, T=2304/2000)", train["fast"], train.get("reference"), "seconds", "s")
    row("training step, CPU time", train["fast"], train.get("reference"), "cpu_seconds", "s")
    for t in args.sizes:
        ours = results["inference"]["fast"][str(t)]
        ref = results["inference"].get("reference", {}).get(str(t))
        row(f"inference T={t}, wall", ours, ref, "seconds", "s")
        row(f"inference T={t}, CPU time", ours, ref, "cpu_seconds", "s")
        row(f"inference T={t}, peak memory", ours, ref, "peak_mem_mb", "MB")
    table = "\n".join(rows)
    print(f"CPU, {args.threads} threads, torch {torch.__version__}\n\n{table}")
    results["table"] = table
    out = ROOT / "bench" / "results" / "model.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
