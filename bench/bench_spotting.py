"""SnapFormer vs ActionFormer on synthetic action spotting (issue 14, part 4).

The baseline is the seed fork's suggestion for point events: train ActionFormer
(LocPointTransformer) on short segments around each event, [t - w, t + w] (``--half-width`` s),
and take each detected segment's centre as the event time. Both models have the same backbone,
neck, widths, schedule and data; they differ only in their heads, losses and decoding.

Per generator setting and seed: ``make-synthetic --task spotting`` data (SoccerNet layout; the
baseline reads a json + feature copy of the same halves), train each model with one thread,
predict the held-out halves, and score with the SoccerNet a-mAP (tight 1-5 s, loose 5-60 s,
``actionformer.evaluation.spotting``). ``train_s`` is the wall time of ``train``,
``infer_s`` of predicting every held-out half (batch 1, after one warm-up video).

    PYTHONPATH=src python bench/bench_spotting.py                 # 2 settings x 2 seeds, ~5-10 min
    PYTHONPATH=src python bench/bench_spotting.py --seeds 0 --epochs 5

Prints a markdown table and writes ``bench/results/spotting.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "spotting.json"
SETTINGS = {"default": {}, "noisy": {"noise": 1.5}}


def _train(config: str, overrides: List[str], output: str) -> float:
    from actionformer.cli.train import train_from_config
    from actionformer.config import load_config

    cfg = load_config(config, overrides=overrides)
    args = argparse.Namespace(config=config, output=output, resume="", no_progress=True, overwrite=True)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = train_from_config(cfg, args, validate=False)
    if code != 0:
        raise RuntimeError(f"training {config} failed with exit code {code}")
    return time.perf_counter() - start


def _predict(config: str, overrides: List[str], ckpt: Path):
    """(results per held-out video, the dataset, seconds to predict them all)."""
    from actionformer.config import load_config
    from actionformer.engine.build import build_dataset, build_model
    from actionformer.engine.loaders import make_val_loader
    from actionformer.engine.loops import predict
    from actionformer.modeling import load_checkpoint

    cfg = load_config(config, overrides=overrides)
    dataset = build_dataset(cfg, False, cfg["val_split"])
    model = build_model(cfg)
    load_checkpoint(ckpt, model, use_ema=True, strict=True)
    loader = make_val_loader(dataset, 0, 1)
    predict([next(iter(loader))], model)  # warm-up
    start = time.perf_counter()
    results = predict(loader, model)
    return results, dataset, time.perf_counter() - start


def _score(results: List[Dict[str, Any]], ground_truth: Dict[str, Any]) -> Dict[str, float]:
    from actionformer.evaluation.spotting import (
        events_from_dict,
        predictions_from_list,
        soccernet_average_map,
    )
    from actionformer.evaluation.spotting.average_map import (
        LOOSE_TOLERANCES,
        TIGHT_TOLERANCES,
    )

    events = events_from_dict(ground_truth)
    preds = predictions_from_list(results, events)
    return {"tight": 100 * float(soccernet_average_map(events, preds, TIGHT_TOLERANCES).a_mAP),
            "loose": 100 * float(soccernet_average_map(events, preds, LOOSE_TOLERANCES).a_mAP)}


def _segment_copy(root: Path, config: str, half_width: float) -> Dict[str, Any]:
    """The same halves as a json dataset of segments [t - w, t + w] (ids ``<game>__<half>``)."""
    from actionformer.config import load_config
    from actionformer.engine.build import build_dataset

    cfg = load_config(config)
    feats = root / "segment_features"
    feats.mkdir()
    database: Dict[str, Any] = {}
    for subset, split in (("training", cfg["train_split"]), ("validation", cfg["val_split"])):
        dataset = build_dataset(cfg, False, split)
        truth = dataset.to_spotting_ground_truth()
        for vid, video in truth["videos"].items():
            flat = vid.replace("/", "__")
            shutil.copy(dataset.feature_source.paths(vid)[0], feats / f"{flat}.npy")
            duration = dataset.records[vid].duration
            database[flat] = {"subset": subset, "duration": duration, "fps": cfg["dataset"]["fps"],
                              "annotations": [{"segment": [max(t - half_width, 0.0), min(t + half_width, duration)],
                                               "label": truth["classes"][lab]}
                                              for t, lab in zip(video["times"], video["labels"])]}
    (root / "segments.json").write_text(json.dumps({"database": database}))
    (root / "classes.txt").write_text("\n".join(truth["classes"]) + "\n")
    return {"json_file": str(root / "segments.json"), "feat_folder": str(feats),
            "class_list": str(root / "classes.txt")}


def _baseline_config(spotting_config: str, paths: Dict[str, Any], out: Path) -> str:
    """The spotting config turned into an ActionFormer one on the segment copy: same model
    sizes and schedule, the custom dataset, ActionFormer's own heads and decoding."""
    import yaml

    cfg = yaml.safe_load(Path(spotting_config).read_text())
    data = cfg["dataset"]
    for key in ("root", "feature_name", "split_files", "fps", "class_names"):
        data.pop(key, None)
    data.update(paths, file_ext=".npy", feat_stride=1, num_frames=1, default_fps=2.0)
    cfg["model"].pop("heatmap_sigma", None)
    cfg["test_cfg"] = {"max_seg_num": cfg["test_cfg"]["max_seg_num"], "min_score": 0.001}
    cfg.update(dataset_name="custom", model_name="LocPointTransformer", train_split=["training"],
               val_split=["validation"])
    path = out / "baseline.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return str(path)


def _centres(results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Detected segments -> events at their centres, video ids back to ``<game>/<half>``."""
    return [{"video_id": r["video_id"].replace("__", "/"), "times": r["segments"].mean(axis=1),
             "scores": r["scores"], "labels": r["labels"]} for r in results]


def run_one(setting: str, seed: int, epochs: int, games: int, half_width: float, work: Path) -> List[Dict[str, Any]]:
    from actionformer.data.synthetic_spotting import make_synthetic_spotting

    root = work / f"{setting}_{seed}"
    config = make_synthetic_spotting(str(root), num_games=games, seed=seed, **SETTINGS[setting])
    common = [f"opt.epochs={epochs}", f"init_rand_seed={seed}", "trainer.ckpt_freq=0", "trainer.keep_last=1",
              "trainer.ema_decay=0.97", "trainer.device=cpu"]
    rows = []
    snap_train = _train(config, common, "snap")
    snap, dataset, snap_infer = _predict(config, common, root / "ckpt" / "synthetic_spotting_snap" / "last.pth.tar")
    truth = dataset.to_spotting_ground_truth()
    rows.append({"model": "SnapFormer", **_score(snap, truth), "train_s": snap_train, "infer_s": snap_infer})
    baseline = _baseline_config(config, _segment_copy(root, config, half_width), root)
    base_train = _train(baseline, common, "base")
    base, _, base_infer = _predict(baseline, common, root / "ckpt" / "baseline_base" / "last.pth.tar")
    rows.append({"model": f"ActionFormer (segments +-{half_width:g} s)", **_score(_centres(base), truth),
                 "train_s": base_train, "infer_s": base_infer})
    return [{"setting": setting, "seed": seed, "videos": len(truth["videos"]), **r} for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--games", type=int, default=12)
    parser.add_argument("--half-width", type=float, default=1.0, help="baseline segments: [t - w, t + w] seconds")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    from actionformer.threads import configure_threads

    configure_threads(1)
    rows: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for setting in args.settings:
            for seed in args.seeds:
                rows += run_one(setting, seed, args.epochs, args.games, args.half_width, Path(tmp))
                print(f"done: {setting} seed {seed}", file=sys.stderr)
    print("| setting | seed | model | tight a-mAP | loose a-mAP | train s | infer s (all held-out halves) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setting']} | {r['seed']} | {r['model']} | {r['tight']:.2f} | {r['loose']:.2f} | "
              f"{r['train_s']:.1f} | {r['infer_s']:.2f} |")
    for model in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == model]
        print(f"| mean | | {model} | {np.mean([r['tight'] for r in mine]):.2f} | "
              f"{np.mean([r['loose'] for r in mine]):.2f} | {np.mean([r['train_s'] for r in mine]):.1f} | "
              f"{np.mean([r['infer_s'] for r in mine]):.2f} |")
    payload = {"machine": platform.processor() or platform.machine(), "threads": 1, "epochs": args.epochs,
               "games": args.games, "half_width_s": args.half_width, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
