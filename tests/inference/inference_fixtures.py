"""A tiny model with local attention (a bounded receptive field), its config and an untrained
checkpoint, and feature files of new videos: what the inference and export tests run on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import numpy as np
import torch
import yaml

FEAT_DIM = 8
CLASSES = ["Jump", "Wave", "Run"]


def write_config(root: Path, **model_extra: Any) -> Path:
    """A config (no dataset files needed for inference: default_fps 30) of a 4-level model."""
    cfg: Dict[str, Any] = {
        "dataset_name": "thumos",
        "dataset": {"json_file": str(root / "missing.json"), "feat_folder": str(root / "features"),
                    "num_classes": len(CLASSES), "input_dim": FEAT_DIM, "feat_stride": 4, "num_frames": 16,
                    "default_fps": 30.0, "max_seq_len": 64},
        "model": dict({"backbone_arch": [1, 1, 3], "n_head": 2, "n_mha_win_size": 5, "embd_dim": 8,
                       "fpn_dim": 8, "head_dim": 8, "head_num_layers": 2, "fpn_type": "identity",
                       "max_buffer_len_factor": 1.0,
                       "regression_range": [[0, 4], [4, 8], [8, 16], [16, 10000]]}, **model_extra),
        "test_cfg": {"voting_thresh": 0.7, "pre_nms_topk": 100, "max_seg_num": 30, "min_score": 0.001},
    }
    path = root / "tiny_infer.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def build(config: Path, *overrides: str) -> torch.nn.Module:
    """The config's model with seeded random weights (the class bias raised so that scores vary)."""
    from actionformer.config import load_config
    from actionformer.engine.build import build_model

    torch.manual_seed(0)
    model = build_model(load_config(str(config), overrides=list(overrides)))
    with torch.no_grad():
        for param in model.cls_head.parameters():
            param.add_(torch.randn_like(param) * 0.5)
    return model.eval()


def write_checkpoint(config: Path, path: Path) -> Path:
    torch.save({"state_dict": build(config).state_dict()}, path)
    return path


def write_features(folder: Path, lengths=(40, 90, 130), seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i, length in enumerate(lengths):
        np.save(folder / f"clip_{i}.npy", rng.normal(size=(length, FEAT_DIM)).astype(np.float32))
    return folder
