"""A synthetic action-spotting dataset in SoccerNet-v2's folder layout, with a ready config.

Per half (T x D float32 features at ``fps`` per second) the features are background drift plus
noise plus, per event at a sub-step time p:
- a *context* shared by the two classes of a pair: a soft window of several seconds around p
  (a build-up, like the play leading to a goal), whose length varies from event to event;
- the class's own *snap*: a sharp Gaussian bump (about one step wide) centred exactly on p, so
  the time is recoverable finer than the feature step;
- distractors: contexts without a snap, and weak lone snaps.
The context says "an event of this pair is near"; only the snap says which class and when
exactly. Events are at least a few seconds apart; about 10% are marked "not shown".

Layout: ``<out>/synthetic_league/<season>/<game>/{1,2}_<feature_name>.npy`` and
``Labels-v2.json``, game lists ``<out>/splits/{train,valid}.txt``, config ``<out>/<name>.yaml``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .synthetic_config import write_config_file

FEATURE_NAME = "synthetic_PCA"
GAMES_FOLDER = "synthetic_league"  # every game of the dataset is below it
CONTEXT_AMPLITUDE = 2.0
SNAP_AMPLITUDE = 3.0
DRIFT_AMPLITUDE = 1.5


@dataclasses.dataclass
class SpottingSpec:
    """Knobs of the generator (lengths in feature steps unless said otherwise)."""

    num_games: int = 12
    num_classes: int = 4
    feat_dim: int = 32
    min_len: int = 240
    max_len: int = 320
    events_per_half: float = 6.0
    min_gap: int = 10  # steps between two events
    noise: float = 1.0
    signal: float = 1.0
    val_fraction: float = 0.34
    fps: float = 2.0
    seed: int = 0


def event_class_names(num_classes: int) -> List[str]:
    return [f"Event{k:02d}" for k in range(num_classes)]


def _unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _event_times(spec: SpottingSpec, length: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted sub-step event positions, at least ``min_gap`` apart and 4 steps from the borders."""
    count = max(1, int(rng.poisson(spec.events_per_half)))
    count = min(count, max(1, (length - 8) // spec.min_gap))
    slack = length - 8 - (count - 1) * spec.min_gap
    starts = np.sort(rng.uniform(0, max(slack, 1), size=count))
    return 4 + starts + np.arange(count) * spec.min_gap


def _half_features(spec: SpottingSpec, pat: Dict[str, np.ndarray], length: int, times: np.ndarray,
                   classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    feats = rng.standard_normal((length, spec.feat_dim), dtype=np.float32) * spec.noise  # (T, D)
    walk = np.cumsum(rng.standard_normal((length, pat["drift"].shape[0])), axis=0)
    walk = (walk - walk.mean(0)) / (walk.std(0) + 1e-6)
    feats += walk.astype(np.float32) @ pat["drift"]  # (T, R) @ (R, D)
    steps = np.arange(length, dtype=np.float32)[:, None]  # (T, 1)
    for p, cls in zip(times, classes):
        width = rng.uniform(2.0, 5.0)  # the context's half width varies per event
        context = np.exp(-0.5 * ((steps - p + rng.uniform(-1, 1)) / width) ** 2)
        snap = np.exp(-0.5 * ((steps - p) / 0.6) ** 2)
        feats += spec.signal * (context * pat["context"][cls // 2] + snap * pat["snap"][cls])
    for _ in range(int(rng.poisson(spec.events_per_half / 2))):
        p = rng.uniform(0, length)
        context = np.exp(-0.5 * ((steps - p) / rng.uniform(2.0, 5.0)) ** 2)
        feats += spec.signal * context * pat["context"][int(rng.integers(len(pat["context"])))]
        blip = np.exp(-0.5 * ((steps - rng.uniform(0, length)) / 0.6) ** 2)
        feats += spec.signal * 0.5 * blip * pat["snap"][int(rng.integers(spec.num_classes))]
    return feats


def _game_time(half: int, seconds: float) -> str:
    return f"{half} - {int(seconds // 60):02d}:{int(seconds % 60):02d}"


def make_synthetic_spotting(out_dir: str, name: str = "synthetic_spotting",
                            config_overrides: Optional[Dict[str, Any]] = None, **knobs: Any) -> str:
    """Write the dataset and ``<out_dir>/<name>.yaml`` (absolute paths); returns the config path.
    ``knobs`` are :class:`SpottingSpec` fields."""
    spec = SpottingSpec(**knobs)
    _validate(spec)
    out_dir = os.path.abspath(out_dir)
    rng = np.random.default_rng(spec.seed)
    groups = (spec.num_classes + 1) // 2
    pat = {"context": _unit_rows(rng, groups, spec.feat_dim) * CONTEXT_AMPLITUDE,
           "snap": _unit_rows(rng, spec.num_classes, spec.feat_dim) * SNAP_AMPLITUDE,
           "drift": _unit_rows(rng, 4, spec.feat_dim) * DRIFT_AMPLITUDE}
    names = event_class_names(spec.num_classes)
    num_val = max(1, int(round(spec.num_games * spec.val_fraction)))
    splits: Dict[str, List[str]] = {"train": [], "valid": []}
    for g in range(spec.num_games):
        subset = "valid" if g >= spec.num_games - num_val else "train"
        game = f"{GAMES_FOLDER}/season_{spec.seed}/game_{g:03d}"
        splits[subset].append(game)
        _write_game(os.path.join(out_dir, game), spec, pat, names, rng)
    os.makedirs(os.path.join(out_dir, "splits"), exist_ok=True)
    for subset, games in splits.items():
        with open(os.path.join(out_dir, "splits", f"{subset}.txt"), "w", encoding="utf-8") as fid:
            fid.write("\n".join(games) + "\n")
    return _write_config(out_dir, name, spec, names, config_overrides)


def _write_game(folder: str, spec: SpottingSpec, pat: Dict[str, np.ndarray], names: List[str],
                rng: np.random.Generator) -> None:
    os.makedirs(folder, exist_ok=True)
    annotations = []
    for half in (1, 2):
        length = int(rng.integers(spec.min_len, spec.max_len + 1))
        times = _event_times(spec, length, rng)
        classes = rng.integers(0, spec.num_classes, size=times.shape[0])
        np.save(os.path.join(folder, f"{half}_{FEATURE_NAME}.npy"),
                _half_features(spec, pat, length, times, classes, rng))
        for p, cls in zip(times, classes):
            seconds = float(p) / spec.fps  # feature i sits at i / fps seconds
            annotations.append({"gameTime": _game_time(half, seconds), "label": names[int(cls)],
                                "position": str(int(round(seconds * 1000))), "team": "home",
                                "visibility": "not shown" if rng.random() < 0.1 else "visible"})
    with open(os.path.join(folder, "Labels-v2.json"), "w", encoding="utf-8") as fid:
        json.dump({"UrlLocal": os.path.basename(folder), "annotations": annotations}, fid)


def spotting_config(out_dir: str, spec: SpottingSpec, names: List[str]) -> Dict[str, Any]:
    """A complete SnapFormer config for the synthetic layout: a small model that trains on a CPU."""
    return {
        "dataset_name": "soccernet",
        "train_split": ["train"],
        "val_split": ["valid"],
        "model_name": "SnapFormer",
        "dataset": {"root": out_dir, "feature_name": FEATURE_NAME, "fps": spec.fps,
                    "split_files": {"train": "splits/train.txt", "valid": "splits/valid.txt"},
                    "class_names": names, "num_classes": spec.num_classes, "input_dim": spec.feat_dim,
                    "max_seq_len": 256, "trunc_thresh": 0.5, "crop_ratio": None},
        "loader": {"batch_size": 4, "num_workers": 0},
        "model": {"backbone_type": "convTransformer", "backbone_arch": [2, 1, 3], "fpn_type": "identity",
                  "embd_dim": 32, "fpn_dim": 32, "head_dim": 32, "n_head": 4, "n_mha_win_size": 9,
                  "head_num_layers": 2, "max_buffer_len_factor": 1.0, "heatmap_sigma": 1.0,
                  "regression_range": [[0, 4], [4, 8], [8, 16], [16, 10000]]},
        "opt": {"type": "AdamW", "learning_rate": 0.004, "weight_decay": 0.05, "epochs": 10,
                "warmup": True, "warmup_epochs": 1, "schedule_type": "cosine"},
        "train_cfg": {"init_loss_norm": 20, "clip_grad_l2norm": 1.0, "cls_prior_prob": 0.01, "droppath": 0.0},
        "test_cfg": {"pre_nms_thresh": 0.01, "pre_nms_topk": 1000, "max_seg_num": 200, "nms_window": 4.0},
        "output_folder": f"{out_dir}/ckpt",
    }


def _write_config(out_dir: str, name: str, spec: SpottingSpec, names: List[str],
                  overrides: Optional[Dict[str, Any]]) -> str:
    path = os.path.join(out_dir, f"{name}.yaml")
    header = (f"# Synthetic action-spotting dataset (SoccerNet-v2 layout): {spec.num_games} games, "
              f"{spec.num_classes} classes, {spec.feat_dim}-d features at {spec.fps:g} per second, seed {spec.seed}.\n"
              f"# Written by `actionformer make-synthetic --task spotting`; train with: actionformer train {path}\n")
    return write_config_file(path, spotting_config(out_dir, spec, names), header, overrides)


def _validate(spec: SpottingSpec) -> None:
    checks: List[Tuple[bool, str]] = [
        (spec.num_games >= 2, "num_games must be >= 2 (one for training, one for evaluation)"),
        (spec.num_classes >= 1, "num_classes must be >= 1"),
        (spec.feat_dim >= 1, "feat_dim must be >= 1"),
        (spec.min_gap >= 1, "min_gap must be >= 1"),
        (spec.min_gap + 8 <= spec.min_len <= spec.max_len, "need min_gap + 8 <= min_len <= max_len"),
        (0.0 < spec.val_fraction < 1.0, "val_fraction must be in (0, 1)"),
        (spec.fps > 0, "fps must be > 0"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(f"synthetic spotting dataset: {message} ({spec})")
