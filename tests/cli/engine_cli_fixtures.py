"""A tiny THUMOS-format dataset (features + annotation JSON) and a small config, for CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import yaml

FEAT_DIM = 16
NUM_CLASSES = 2
CLASSES = ["Jump", "Wave"]


def write_tiny_dataset(root: Path, num_videos: int = 9, seed: int = 0) -> Path:
    """Videos of 32-64 feature steps; each action adds its class direction to the features."""
    rng = np.random.default_rng(seed)
    feat_dir = root / "features"
    feat_dir.mkdir(parents=True, exist_ok=True)
    directions = rng.normal(size=(NUM_CLASSES, FEAT_DIM)) * 2.0
    database: Dict[str, Any] = {}
    fps, stride, frames = 30.0, 4, 16
    for i in range(num_videos):
        length = int(rng.integers(32, 65))
        feats = rng.normal(size=(length, FEAT_DIM)).astype(np.float32) * 0.5
        annotations = []
        for _ in range(int(rng.integers(1, 3))):
            label = int(rng.integers(0, NUM_CLASSES))
            dur = int(rng.integers(5, 11))
            start = int(rng.integers(0, length - dur))
            feats[start:start + dur] += directions[label]
            to_sec = lambda t: round((t * stride + frames / 2) / fps, 3)  # noqa: E731
            annotations.append({"segment": [to_sec(start), to_sec(start + dur)], "label": CLASSES[label],
                                "label_id": label})
        vid = f"video_{i:03d}"
        np.save(feat_dir / f"{vid}.npy", feats)
        database[vid] = {"subset": "validation" if i < num_videos * 2 // 3 else "test",
                         "duration": round((length * stride + frames) / fps, 3), "fps": fps,
                         "annotations": annotations}
    json_file = root / "annotations.json"
    json_file.write_text(json.dumps({"database": database}))
    return json_file


def write_tiny_config(root: Path, json_file: Path, **extra: Any) -> Path:
    cfg: Dict[str, Any] = {
        "dataset_name": "thumos",
        "train_split": ["validation"],
        "val_split": ["test"],
        "dataset": {"json_file": str(json_file), "feat_folder": str(root / "features"), "file_prefix": None,
                    "file_ext": ".npy", "num_classes": NUM_CLASSES, "input_dim": FEAT_DIM, "feat_stride": 4,
                    "num_frames": 16, "max_seq_len": 64, "trunc_thresh": 0.5, "crop_ratio": [0.9, 1.0]},
        "model": {"backbone_arch": [1, 1, 3], "n_head": 2, "n_mha_win_size": -1, "embd_dim": 16,
                  "fpn_dim": 16, "head_dim": 16, "head_num_layers": 2, "fpn_type": "identity",
                  "max_buffer_len_factor": 1.0,
                  "regression_range": [[0, 4], [4, 8], [8, 16], [16, 10000]]},
        "opt": {"learning_rate": 0.01, "epochs": 2, "warmup_epochs": 1, "weight_decay": 0.05},
        "loader": {"batch_size": 2, "num_workers": 0},
        "train_cfg": {"init_loss_norm": 10, "clip_grad_l2norm": 1.0, "dropout": 0.0, "droppath": 0.0},
        "test_cfg": {"voting_thresh": 0.7, "pre_nms_topk": 200, "max_seg_num": 50, "min_score": 0.001},
        "trainer": {"eval_freq": 1, "ckpt_freq": 1, "print_freq": 1, "ema_decay": 0.5},
        "output_folder": str(root / "ckpt"),
    }
    for key, value in extra.items():
        cfg[key] = value
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path
