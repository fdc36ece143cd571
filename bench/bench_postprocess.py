"""Benchmark: time of ``actionformer.postprocess.detect`` on synthetic THUMOS / ActivityNet / EPIC-like videos.

Head outputs are synthetic: background logits well below ``pre_nms_thresh`` and a chosen
number of (position, class) candidates above it, clustered around a few "actions" so that
NMS has real overlaps to resolve. Prints a markdown table and writes
bench/results/postprocess.json.

    PYTHONPATH=src python bench/bench_postprocess.py [--repeats 7] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch

from actionformer.postprocess import batched_nms, decode_candidates, detect

RESULTS = Path(__file__).resolve().parent / "results" / "postprocess.json"

# name, video length (features), classes, candidates above threshold, test_cfg overrides
CASES: List[Dict] = [
    dict(name="THUMOS14-like (soft, per class)", length=2304, classes=20, candidates=2000,
         cfg=dict(nms_method="soft", multiclass_nms=True, max_seg_num=200, nms_sigma=0.5,
                  voting_thresh=0.7, min_score=0.001, pre_nms_topk=2000)),
    dict(name="THUMOS14-like (soft, class-agnostic + voting)", length=2304, classes=20,
         candidates=2000,
         cfg=dict(nms_method="soft", multiclass_nms=False, max_seg_num=200, nms_sigma=0.5,
                  voting_thresh=0.7, min_score=0.001, pre_nms_topk=2000)),
    dict(name="THUMOS14-like (hard, per class)", length=2304, classes=20, candidates=2000,
         cfg=dict(nms_method="hard", multiclass_nms=True, max_seg_num=200, iou_threshold=0.5,
                  voting_thresh=0.7, min_score=0.001, pre_nms_topk=2000)),
    dict(name="ActivityNet-like (soft, agnostic + voting)", length=192, classes=1, candidates=378,
         cfg=dict(nms_method="soft", multiclass_nms=False, max_seg_num=100, nms_sigma=0.75,
                  voting_thresh=0.9, min_score=0.001, pre_nms_topk=2000, duration_thresh=0.001)),
    dict(name="EPIC-like (soft, 300 classes)", length=2304, classes=300, candidates=5000,
         cfg=dict(nms_method="soft", multiclass_nms=True, max_seg_num=2000, nms_sigma=0.4,
                  voting_thresh=0.75, min_score=0.001, pre_nms_topk=5000)),
]

BASE_CFG = dict(pre_nms_thresh=0.001, pre_nms_topk=2000, iou_threshold=0.1, min_score=0.001,
                max_seg_num=200, nms_method="soft", nms_sigma=0.5, duration_thresh=0.05,
                multiclass_nms=True, voting_thresh=0.75, ext_score_file=None)


def synthetic_video(length: int, classes: int, candidates: int, seed: int = 0, levels: int = 6):
    """Per-level points, logits, offsets, masks with ``candidates`` pairs above 0.001."""
    rng = np.random.default_rng(seed)
    strides = [2**level for level in range(levels)]
    sizes = [length // s for s in strides]
    offsets_level = np.repeat(np.arange(levels), sizes)
    positions = np.concatenate([np.arange(n) for n in sizes])
    total = len(positions)
    # candidates cluster around a few actions: positions near action centres, similar classes
    centres = rng.uniform(0, length, size=max(4, candidates // 100))
    flat_t = positions * np.take(strides, offsets_level)
    near = np.abs(flat_t[:, None] - centres[None, :]).min(1)  # distance to nearest action
    weight = np.exp(-near / 32.0)
    weight /= weight.sum()
    picked = rng.choice(total * classes, size=candidates, replace=False,
                        p=np.repeat(weight, classes) / classes)
    logits = np.full((total, classes), -12.0, dtype=np.float32)
    logits.reshape(-1)[picked] = rng.uniform(-6.5, 2.5, size=candidates)
    offsets = rng.uniform(0.5, 6.0, size=(total, 2)).astype(np.float32)

    points, cls_logits, offs, masks = [], [], [], []
    start = 0
    for s, n in zip(strides, sizes):
        t = torch.arange(n, dtype=torch.float32) * s
        points.append(torch.stack([t, torch.zeros(n), torch.full((n,), 1e4),
                                   torch.full((n,), float(s))], 1))  # (T_l, 4)
        cls_logits.append(torch.from_numpy(logits[start:start + n]))
        offs.append(torch.from_numpy(offsets[start:start + n]))
        masks.append(torch.ones(n, dtype=torch.bool))
        start += n
    meta = dict(video_id="bench", fps=30.0, duration=length * 4 / 30.0, feat_stride=4,
                feat_num_frames=16)
    return points, cls_logits, offs, masks, meta


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run_case(case: Dict, repeats: int) -> Dict:
    cfg = dict(BASE_CFG, **case["cfg"])
    points, logits, offsets, masks, meta = synthetic_video(
        case["length"], case["classes"], case["candidates"])
    segs, scores, labels = decode_candidates(points, logits, offsets, masks, cfg["pre_nms_thresh"],
                                             cfg["pre_nms_topk"], cfg["duration_thresh"])
    nms_kwargs = dict(use_soft_nms=cfg["nms_method"] == "soft", multiclass=cfg["multiclass_nms"],
                      sigma=cfg["nms_sigma"], voting_thresh=cfg["voting_thresh"])
    nms_args = (segs, scores, labels, cfg["iou_threshold"], cfg["min_score"], cfg["max_seg_num"])
    out = detect(points, logits, offsets, masks, meta, cfg)
    return dict(
        case=case["name"], classes=case["classes"], candidates=int(segs.shape[0]),
        detections=int(out["segments"].shape[0]),
        decode_ms=_median_ms(lambda: decode_candidates(
            points, logits, offsets, masks, cfg["pre_nms_thresh"], cfg["pre_nms_topk"],
            cfg["duration_thresh"]), repeats),
        nms_ms=_median_ms(lambda: batched_nms(*nms_args, **nms_kwargs), repeats),
        detect_ms=_median_ms(lambda: detect(points, logits, offsets, masks, meta, cfg), repeats),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="skip the EPIC-like case")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [c for c in CASES if not (args.quick and c["name"].startswith("EPIC"))]
    rows = [run_case(case, args.repeats) for case in cases]

    print("| case | classes | candidates | detections | decode (ms) | NMS (ms) | detect total (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['classes']} | {r['candidates']} | {r['detections']} | "
              f"{r['decode_ms']:.1f} | {r['nms_ms']:.1f} | {r['detect_ms']:.1f} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "postprocess.detect",
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "torch": torch.__version__,
                    "numpy": np.__version__, "threads": 1},
        "repeats": args.repeats,
        "load_average_1min": os.getloadavg()[0],
        "statistic": "median over repeats (after one warm-up), milliseconds",
        "rows": rows,
    }, indent=2))
    print(f"\n1-min load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
          f" (median of {args.repeats} runs, 1 torch thread)")
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
