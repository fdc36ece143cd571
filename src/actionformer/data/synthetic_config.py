"""The ready-to-train config written next to a synthetic dataset (the original's YAML layout)."""

from __future__ import annotations

import copy
from typing import Any, Dict, Optional

import yaml


def _merge(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def synthetic_config(spec, feat_dir: str, json_file: str, out_dir: str, max_seq_len: int) -> Dict[str, Any]:
    """A complete original-style config for the synthetic data: a small model that trains on a CPU."""
    return {
        "dataset_name": "thumos",
        "train_split": ["validation"],
        "val_split": ["test"],
        "model_name": "LocPointTransformer",
        "dataset": {
            "json_file": json_file,
            "feat_folder": feat_dir,
            "file_prefix": None,
            "file_ext": ".npy",
            "num_classes": spec.num_classes,
            "input_dim": spec.feat_dim,
            "feat_stride": spec.feat_stride,
            "num_frames": spec.num_frames,
            "default_fps": None,
            "downsample_rate": 1,
            "trunc_thresh": 0.5,
            "crop_ratio": [0.9, 1.0],
            "max_seq_len": max_seq_len,
            "force_upsampling": False,
        },
        "loader": {"batch_size": 4, "num_workers": 0},
        "model": {
            "backbone_type": "convTransformer",
            "backbone_arch": [2, 2, 5],
            "fpn_type": "identity",
            "embd_dim": 64,
            "fpn_dim": 64,
            "head_dim": 64,
            "n_head": 4,
            "n_mha_win_size": 9,
            "max_buffer_len_factor": 6.0,
            "use_abs_pe": False,
        },
        "opt": {"type": "AdamW", "learning_rate": 0.001, "weight_decay": 0.05, "epochs": 20,
                "warmup": True, "warmup_epochs": 2, "schedule_type": "cosine"},
        "train_cfg": {"init_loss_norm": 50, "clip_grad_l2norm": 1.0, "cls_prior_prob": 0.01,
                      "center_sample": "radius", "center_sample_radius": 1.5, "droppath": 0.1},
        "test_cfg": {"voting_thresh": 0.7, "pre_nms_topk": 2000, "max_seg_num": 100, "min_score": 0.001,
                     "multiclass_nms": True},
        "output_folder": f"{out_dir}/ckpt",
    }


def write_config(path: str, spec, feat_dir: str, json_file: str, out_dir: str, max_seq_len: int,
                 overrides: Optional[Dict[str, Any]] = None) -> str:
    header = (f"# Synthetic THUMOS-format dataset: {spec.num_videos} videos, {spec.num_classes} classes, "
              f"{spec.feat_dim}-d features, seed {spec.seed}.\n"
              f"# Written by `actionformer make-synthetic`; train with: actionformer train {path}\n")
    return write_config_file(path, synthetic_config(spec, feat_dir, json_file, out_dir, max_seq_len), header,
                             overrides)


def write_config_file(path: str, cfg: Dict[str, Any], header: str,
                      overrides: Optional[Dict[str, Any]] = None) -> str:
    """Write ``cfg``, with ``overrides`` merged into it key by key, as YAML under the comment lines
    ``header``; returns ``path``."""
    if overrides:
        cfg = _merge(cfg, overrides)
    with open(path, "w", encoding="utf-8") as fid:
        fid.write(header)
        yaml.safe_dump(cfg, fid, sort_keys=False, default_flow_style=None)
    return path
